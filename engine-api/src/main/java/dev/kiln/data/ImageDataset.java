package dev.kiln.data;

/**
 * Single-channel images from an IDX image file [N, H, W] (U8) with labels from an IDX label file [N] (U8),
 * as batches of F32 images [B, 1, H + 2 pad, W + 2 pad] scaled to 0..1, padded with zeros (black), then
 * normalized as {@code (x - mean) / std}, and I64 labels [B].
 */
public final class ImageDataset implements Dataset {
    private final IdxFile images, labels;
    private final int classes, size, height, width, pad;
    private final double mean, std;

    ImageDataset(IdxFile images, IdxFile labels, int classes) {
        this(images, labels, classes, validate(images, labels, classes), 0, 0, 1);
    }

    private ImageDataset(IdxFile images, IdxFile labels, int classes, int size, int pad, double mean, double std) {
        this.images = images;
        this.labels = labels;
        this.classes = classes;
        this.size = size;
        this.height = images.dim(1);
        this.width = images.dim(2);
        this.pad = pad;
        this.mean = mean;
        this.std = std;
    }

    private static int validate(IdxFile images, IdxFile labels, int classes) {
        if (images.type() != IdxFile.ElementType.U8 || images.rank() != 3) {
            throw new DataFormatException(images.name(), 2, "expected U8 images [N, H, W], found " + images);
        }
        if (labels.type() != IdxFile.ElementType.U8 || labels.rank() != 1) {
            throw new DataFormatException(labels.name(), 2, "expected U8 labels [N], found " + labels);
        }
        if (images.dim(0) != labels.dim(0)) {
            throw new DataFormatException(labels.name(), 4, "holds " + labels.dim(0) + " labels for the " + images.dim(0)
                    + " images of " + images.name());
        }
        long dataStart = 4 + 4L * labels.rank();
        for (int i = 0; i < labels.dim(0); i++) {
            int y = labels.unsignedByte(i);
            if (y >= classes) throw new DataFormatException(labels.name(), dataStart + i, "label " + y + " is not below " + classes);
        }
        return images.dim(0);
    }

    /** The same examples padded by {@code pixels} on every side (LeNet-5 wants 28x28 MNIST digits at 32x32). */
    public ImageDataset withPadding(int pixels) {
        if (pixels < 0) throw new IllegalArgumentException("ImageDataset: padding must be at least 0, got " + pixels);
        return new ImageDataset(images, labels, classes, size, pixels, mean, std);
    }

    /** The same examples normalized as {@code (x - mean) / std} with x on the 0..1 scale. */
    public ImageDataset withNormalization(double mean, double std) {
        if (!(std > 0)) throw new IllegalArgumentException("ImageDataset: std must be positive, got " + std);
        return new ImageDataset(images, labels, classes, size, pad, mean, std);
    }

    /** The first {@code n} examples only (for quick runs and tests). */
    public ImageDataset limit(int n) {
        return new ImageDataset(images, labels, classes, Math.min(n, size), pad, mean, std);
    }

    @Override
    public int size() { return size; }

    public int classes() { return classes; }

    /** Side lengths of a batch's images, padding included: {channels, height, width}. */
    public int[] imageDims() { return new int[] {1, height + 2 * pad, width + 2 * pad}; }

    public int label(int i) { return labels.unsignedByte(check(i)); }

    private int check(int i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException("ImageDataset: example " + i + " of " + size);
        return i;
    }

    @Override
    public HostBatch batch(int[] indices) {
        int outH = height + 2 * pad, outW = width + 2 * pad, plane = outH * outW;
        float[] x = new float[indices.length * plane];
        long[] y = new long[indices.length];
        float background = (float) ((0 - mean) / std);
        float scale = (float) (1 / (255 * std)), shift = (float) (-mean / std);
        java.util.Arrays.fill(x, background);
        long pixels = (long) height * width;
        for (int b = 0; b < indices.length; b++) {
            int i = check(indices[b]);
            long src = i * pixels;
            for (int r = 0; r < height; r++) {
                int dst = b * plane + (r + pad) * outW + pad;
                for (int c = 0; c < width; c++) x[dst + c] = images.unsignedByte(src + (long) r * width + c) * scale + shift;
            }
            y[b] = labels.unsignedByte(i);
        }
        return new HostBatch(HostArray.ofFloats(x, indices.length, 1, outH, outW), HostArray.ofLongs(y, indices.length), indices.length);
    }
}
