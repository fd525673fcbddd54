package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
    static final Path DIR = MnistLike.DEBIAN_FASHION_MNIST;

    static void assumeInstalled() {
        assumeTrue(Files.isRegularFile(DIR.resolve("t10k-images-idx3-ubyte.gz")),
                DIR + " is absent: install the Debian package dataset-fashion-mnist to run this test");
    }

    @Test
    void theDebianFilesReadAsTenThousandTestImages() {
        assumeInstalled();
        ImageDataset test = MnistLike.load(DIR, MnistLike.Split.TEST);
        assertEquals(10_000, test.size());
        int[] perClass = new int[10];
        for (int i = 0; i < test.size(); i++) perClass[test.label(i)]++;
        for (int c : perClass) assertEquals(1000, c); // Fashion-MNIST's test set is balanced
        HostBatch b = test.withPadding(2).withNormalization(MnistLike.FASHION_MEAN, MnistLike.FASHION_STD).batch(new int[] {0, 9999});
        assertArrayEquals(new int[] {2, 1, 32, 32}, b.input().dims());
        float background = (float) (-MnistLike.FASHION_MEAN / MnistLike.FASHION_STD);
        assertEquals(background, b.input().floats()[0]);
        assertEquals(9, b.target().longs()[0]); // the first test image is an ankle boot
    }

    @Test
    void paddingAndNormalizationPlaceEveryPixel(@TempDir Path dir) throws Exception {
        SyntheticMnist.write(dir, 5, 3, 1);
        ImageDataset raw = MnistLike.load(dir, MnistLike.Split.TRAIN);
        IdxFile images = IdxFile.read(dir.resolve("train-images-idx3-ubyte.gz"));
        HostBatch b = raw.withPadding(2).withNormalization(0.5, 0.25).batch(new int[] {3});
        float[] x = b.input().floats();
        for (int r = 0; r < 32; r++) {
            for (int c = 0; c < 32; c++) {
                boolean inside = r >= 2 && r < 30 && c >= 2 && c < 30;
                double pixel = inside ? images.unsignedByte(3 * 784 + (r - 2) * 28 + (c - 2)) / 255.0 : 0;
                assertEquals((pixel - 0.5) / 0.25, x[r * 32 + c], 1e-5, "row " + r + " column " + c);
            }
        }
        assertEquals(raw.label(3), b.target().longs()[0]);
    }

    @Test
    void missingOrMismatchedFilesAreNamed(@TempDir Path dir) throws Exception {
        DataFormatException missing = assertThrows(DataFormatException.class, () -> MnistLike.load(dir, MnistLike.Split.TEST));
        assertTrue(missing.getMessage().contains("t10k-images-idx3-ubyte"), missing.getMessage());
        SyntheticMnist.write(dir, 5, 3, 1);
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), SyntheticMnist.concat(SyntheticMnist.header(0x08, 3), new byte[] {1, 12, 3}));
        DataFormatException label = assertThrows(DataFormatException.class, () -> MnistLike.load(dir, MnistLike.Split.TEST));
        assertEquals(9, label.offset());
        assertTrue(label.getMessage().contains("label 12 is not below 10"), label.getMessage());
    }
}
