package dev.kiln.data;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * MNIST and the datasets laid out like it (Fashion-MNIST, KMNIST): a directory with
 * {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte} and
 * {@code t10k-labels-idx1-ubyte}, each plain or with {@code .gz}. Debian's {@code dataset-fashion-mnist}
 * installs them under {@code /usr/share/datasets/fashion-mnist}.
 */
public final class MnistLike {
    /** Fashion-MNIST training-set pixel mean and standard deviation (on the 0..1 scale). */
    public static final double FASHION_MEAN = 0.2860, FASHION_STD = 0.3530;
    public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    public enum Split {
        TRAIN("train"), TEST("t10k");

        final String prefix;

        Split(String prefix) { this.prefix = prefix; }
    }

    private MnistLike() {}

    /** The images and labels of one split, unnormalized and unpadded (see {@link ImageDataset}'s withers). */
    public static ImageDataset load(Path dir, Split split) {
        IdxFile images = IdxFile.read(find(dir, split.prefix + "-images-idx3-ubyte"));
        IdxFile labels = IdxFile.read(find(dir, split.prefix + "-labels-idx1-ubyte"));
        return new ImageDataset(images, labels, 10);
    }

    /** {@code name.gz} or {@code name} in {@code dir}. */
    static Path find(Path dir, String name) {
        Path gz = dir.resolve(name + ".gz"), plain = dir.resolve(name);
        if (Files.isRegularFile(gz)) return gz;
        if (Files.isRegularFile(plain)) return plain;
        throw new DataFormatException(gz.toString(), 0, "missing: neither " + gz.getFileName() + " nor " + name + " is in " + dir);
    }
}
