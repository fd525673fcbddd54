package dev.kiln.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/** Writes a small MNIST-like directory whose images depend on their label (a bright bar per class), so a model can learn it. */
public final class SyntheticMnist {
    private SyntheticMnist() {}

    public static Path write(Path dir, int train, int test, long seed) throws IOException {
        Random rnd = new Random(seed);
        split(dir, "train", train, rnd);
        split(dir, "t10k", test, rnd);
        return dir;
    }

    private static void split(Path dir, String prefix, int n, Random rnd) throws IOException {
        byte[] pixels = new byte[n * 28 * 28], labels = new byte[n];
        for (int i = 0; i < n; i++) {
            int y = rnd.nextInt(10);
            labels[i] = (byte) y;
            for (int p = 0; p < 28 * 28; p++) {
                int r = p / 28;
                int bright = r >= 2 + 2 * y && r < 4 + 2 * y ? 200 : 0;
                pixels[i * 784 + p] = (byte) Math.min(255, bright + rnd.nextInt(40));
            }
        }
        Files.write(dir.resolve(prefix + "-images-idx3-ubyte.gz"), gzip(header(0x08, n, 28, 28), pixels));
        Files.write(dir.resolve(prefix + "-labels-idx1-ubyte"), concat(header(0x08, n), labels));
    }

    static byte[] header(int type, int... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        return b.array();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static byte[] gzip(byte[] a, byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(a);
            z.write(b);
        }
        return out.toByteArray();
    }
}
