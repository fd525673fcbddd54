package dev.kiln.models;

import dev.kiln.Device;
import dev.kiln.Kiln;
import dev.kiln.KilnException;
import dev.kiln.Tensor;
import dev.kiln.io.SafeTensors;
import dev.kiln.nn.Module;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;

/**
 * {@code ./kiln run MODEL [--backend B] [--weights FILE] [--batch N] [--input FILE] [--labels FILE]}:
 * builds a zoo model, loads weights (a safetensors file with PyTorch's state_dict names) or keeps its
 * seeded initialization, runs it in evaluation mode, and prints the output shape, the top-5 classes
 * (or the most likely tokens), and the time of the first and of a warm call.
 * {@code --input} takes a safetensors file holding a tensor named {@code input}, or an image (PNG,
 * JPEG) that is resized to the model's input and normalized with ImageNet's mean and deviation.
 */
public final class Run {
    private Run() {}

    public static void main(String[] args) {
        try {
            run(args);
        } catch (KilnException e) {
            System.err.println("kiln run: " + e.getMessage());
            System.exit(2);
        }
    }

    static void run(String[] args) {
        if (args.length == 0 || args[0].equals("--help")) {
            System.out.println("usage: kiln run MODEL [--backend B] [--weights FILE] [--batch N] [--input FILE] [--labels FILE]");
            System.out.println("models: " + String.join(", ", Zoo.names()));
            return;
        }
        Zoo.Entry entry = Zoo.get(args[0]);
        String backend = null, weights = null, input = null, labels = null;
        int batch = 1;
        for (int i = 1; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--backend" -> backend = required(args[i], v);
                case "--weights" -> weights = required(args[i], v);
                case "--input" -> input = required(args[i], v);
                case "--labels" -> labels = required(args[i], v);
                case "--batch" -> batch = Integer.parseInt(required(args[i], v));
                default -> throw new KilnException("unknown option " + args[i]);
            }
            i++;
        }
        Device device = backend == null ? Kiln.defaultDevice() : Kiln.device(backend);
        System.out.printf("%s on %s (%s)%n", entry.description(), device.name(), device.description());
        try (Module model = entry.build().apply(device)) {
            if (weights != null) {
                try (SafeTensors st = SafeTensors.open(Path.of(weights))) {
                    model.load(st);
                }
                System.out.println("weights: " + weights);
            } else {
                System.out.println("weights: seeded initialization (pass --weights FILE for trained ones)");
            }
            model.eval();
            try (Tensor x = input == null ? entry.sampleInput().apply(device, batch) : readInput(Path.of(input), entry, device)) {
                long t0 = System.nanoTime();
                Tensor first = entry.infer(model, x);
                device.synchronize();
                long t1 = System.nanoTime();
                first.close();
                Tensor y = entry.infer(model, x);
                device.synchronize();
                long t2 = System.nanoTime();
                try (y) {
                    System.out.println("input " + x.shape() + " " + x.dtype() + " -> output " + y.shape());
                    printTop5(y, labels == null ? null : readLabels(Path.of(labels)));
                }
                System.out.printf("time: first call %.1f ms, warm call %.1f ms%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6);
            }
        }
    }

    private static String required(String option, String value) {
        if (value == null) throw new KilnException(option + " needs a value");
        return value;
    }

    private static String[] readLabels(Path file) {
        try {
            return Files.readAllLines(file).toArray(String[]::new);
        } catch (IOException e) {
            throw new KilnException("cannot read labels " + file + ": " + e.getMessage());
        }
    }

    /** Softmax over the last axis of the first sample's last position, and its five most likely classes. */
    private static void printTop5(Tensor y, String[] labels) {
        int classes = y.dim(-1);
        float[] all = y.toFloatArray();
        int lastRow = y.rank() == 3 ? y.dim(1) - 1 : 0;
        float[] row = Arrays.copyOfRange(all, lastRow * classes, (lastRow + 1) * classes);
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float v : row) max = Math.max(max, v);
        for (float v : row) sum += Math.exp(v - max);
        double norm = sum;
        double m = max;
        int[] top = IntStream.range(0, classes).boxed().sorted(Comparator.comparingDouble(i -> -row[i])).limit(5).mapToInt(i -> i).toArray();
        System.out.println(y.rank() == 3 ? "top-5 next tokens (sample 0, last position):" : "top-5 classes (sample 0):");
        for (int c : top) {
            String name = labels != null && c < labels.length ? "  " + labels[c] : "";
            System.out.printf("  %6d  p=%.4f%s%n", c, Math.exp(row[c] - m) / norm, name);
        }
    }

    private static Tensor readInput(Path file, Zoo.Entry entry, Device device) {
        String name = file.getFileName().toString().toLowerCase();
        if (name.endsWith(".safetensors")) {
            try (SafeTensors st = SafeTensors.open(file)) {
                return st.load("input", device);
            }
        }
        if (entry.tokens()) throw new KilnException(entry.name() + " takes token ids: pass a .safetensors file with an I64 tensor 'input'");
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw new KilnException("cannot read image " + file + ": " + e.getMessage());
        }
        if (img == null) throw new KilnException(file + " is neither a .safetensors file nor an image Java can read (PNG, JPEG, BMP, GIF)");
        try (Tensor sample = entry.sampleInput().apply(device, 1)) {
            int c = sample.dim(1), h = sample.dim(2), w = sample.dim(3);
            float[] mean = {0.485f, 0.456f, 0.406f}, std = {0.229f, 0.224f, 0.225f};
            float[] px = new float[c * h * w];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int rgb = img.getRGB(x * img.getWidth() / w, y * img.getHeight() / h);
                    int[] ch = {(rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255};
                    for (int k = 0; k < c; k++) {
                        float v = c == 1 ? (ch[0] * 0.299f + ch[1] * 0.587f + ch[2] * 0.114f) / 255f : ch[k] / 255f;
                        px[(k * h + y) * w + x] = c == 3 ? (v - mean[k]) / std[k] : v;
                    }
                }
            }
            return device.fromArray(px, 1, c, h, w);
        }
    }
}
