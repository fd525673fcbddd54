package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxFileTest {
    static final String NAME = "test.idx";

    /** An IDX file: magic, dims, then {@code data} as given (already big-endian). */
    static byte[] idx(int type, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length); // big-endian by default
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        b.put(data);
        return b.array();
    }

    static byte[] gzip(byte[] plain) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(plain);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out.toByteArray();
    }

    static final byte[] U8_2x3 = idx(0x08, new int[] {2, 3}, new byte[] {0, 1, 2, (byte) 200, (byte) 254, (byte) 255});

    @Test
    void readsUnsignedBytesRowMajor() {
        IdxFile f = IdxFile.parse(NAME, U8_2x3);
        assertEquals(IdxFile.ElementType.U8, f.type());
        assertArrayEquals(new int[] {2, 3}, f.dims());
        assertEquals(6, f.count());
        assertEquals(3, f.recordSize());
        double[] got = new double[6];
        for (int i = 0; i < 6; i++) got[i] = f.get(i);
        assertArrayEquals(new double[] {0, 1, 2, 200, 254, 255}, got);
        assertEquals(255, f.unsignedByte(5));
        assertEquals(3, f.record(1).byteSize());
    }

    @Test
    void readsEveryElementTypeBigEndian() {
        ByteBuffer data = ByteBuffer.allocate(2 * 8);
        assertArrayEquals(new double[] {-2, 127}, values(IdxFile.parse(NAME, idx(0x09, new int[] {2}, new byte[] {-2, 127}))));
        data.clear();
        data.putShort((short) -300).putShort((short) 31000);
        assertArrayEquals(new double[] {-300, 31000}, values(IdxFile.parse(NAME, idx(0x0B, new int[] {2}, Arrays.copyOf(data.array(), 4)))));
        data.clear();
        data.putInt(-70000).putInt(123456789);
        assertArrayEquals(new double[] {-70000, 123456789}, values(IdxFile.parse(NAME, idx(0x0C, new int[] {2}, Arrays.copyOf(data.array(), 8)))));
        data.clear();
        data.putFloat(1.5f).putFloat(-0.25f);
        assertArrayEquals(new double[] {1.5, -0.25}, values(IdxFile.parse(NAME, idx(0x0D, new int[] {2}, Arrays.copyOf(data.array(), 8)))));
        data.clear();
        data.putDouble(Math.PI).putDouble(-1e300);
        assertArrayEquals(new double[] {Math.PI, -1e300}, values(IdxFile.parse(NAME, idx(0x0E, new int[] {2}, data.array()))));
    }

    static double[] values(IdxFile f) {
        double[] v = new double[(int) f.count()];
        for (int i = 0; i < v.length; i++) v[i] = f.get(i);
        return v;
    }

    @Test
    void gzipAndPlainFilesGiveTheSameArray(@TempDir Path dir) throws IOException {
        Random rnd = new Random(7);
        byte[] pixels = new byte[129 * 7 * 3];
        rnd.nextBytes(pixels);
        byte[] plain = idx(0x08, new int[] {129, 7, 3}, pixels);
        Path p = dir.resolve("x-idx3-ubyte"), z = dir.resolve("x-idx3-ubyte.gz");
        Files.write(p, plain);
        Files.write(z, gzip(plain));
        IdxFile a = IdxFile.read(p), b = IdxFile.read(z);
        assertArrayEquals(a.dims(), b.dims());
        assertArrayEquals(values(a), values(b));
        for (int i = 0; i < pixels.length; i++) assertEquals(pixels[i] & 0xff, a.unsignedByte(i));
    }

    @Test
    void emptyArrayIsAllowed() {
        IdxFile f = IdxFile.parse(NAME, idx(0x08, new int[] {0, 28, 28}, new byte[0]));
        assertEquals(0, f.count());
        assertEquals(0, f.recordSize());
    }

    @Test
    void malformedFilesNameTheFileAndTheOffset() {
        expect(new byte[] {0, 0}, 2, "ends inside the 4-byte magic");
        expect(new byte[] {0, 1, 8, 1, 0, 0, 0, 0}, 1, "two zero bytes");
        expect(new byte[] {0, 0, 7, 1, 0, 0, 0, 0}, 2, "unknown element type 0x07");
        expect(new byte[] {0, 0, 8, 0}, 3, "dimension count is 0");
        expect(new byte[] {0, 0, 8, 2, 0, 0, 0, 1, 0, 0}, 10, "ends inside dimension 1 of 2");
        expect(new byte[] {0, 0, 8, 1, (byte) 0x80, 0, 0, 0}, 4, "more than 2^31-1");
        expect(idx(0x0E, new int[] {1 << 30, 1 << 30}, new byte[0]), 8, "more elements than this reader accepts");
        expect(Arrays.copyOf(U8_2x3, U8_2x3.length - 2), U8_2x3.length - 2, "file ends after 4 data bytes; the header [2, 3] of U8 promises 6");
        expect(Arrays.copyOf(U8_2x3, U8_2x3.length + 1), U8_2x3.length, "unexpected bytes after the 6 data bytes");
    }

    @Test
    void malformedGzipContentsCountDecompressedOffsets() {
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> IdxFile.parse(NAME, gzip(Arrays.copyOf(U8_2x3, U8_2x3.length - 1))));
        assertEquals(U8_2x3.length - 1, e.offset());
        assertTrue(e.getMessage().contains("decompressed"), e.getMessage());
        byte[] z = gzip(U8_2x3);
        DataFormatException cut = assertThrows(DataFormatException.class, () -> IdxFile.parse(NAME, Arrays.copyOf(z, z.length - 9)));
        assertTrue(cut.getMessage().startsWith(NAME + " at byte offset "), cut.getMessage());
    }

    @Test
    void missingFileIsAnIoError(@TempDir Path dir) {
        var e = assertThrows(java.io.UncheckedIOException.class, () -> IdxFile.read(dir.resolve("absent.gz")));
        assertTrue(e.getMessage().contains("absent.gz"), e.getMessage());
    }

    static void expect(byte[] bytes, long offset, String fragment) {
        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxFile.parse(NAME, bytes));
        assertEquals(offset, e.offset(), e.getMessage());
        assertEquals(NAME, e.file());
        assertTrue(e.getMessage().startsWith(NAME + " at byte offset " + offset + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    /** A seeded mutation loop over valid files, plain and gzip: every outcome is a parse or a DataFormatException. */
    @Test
    void mutatedFilesNeverEscapeAsOtherExceptions() {
        long seed = new Random().nextLong();
        Random rnd = new Random(seed);
        byte[] f32 = ByteBuffer.allocate(4 * 6).putFloat(1).putFloat(2).putFloat(3).putFloat(4).putFloat(5).putFloat(6).array();
        byte[][] goods = {U8_2x3, idx(0x0D, new int[] {3, 2}, f32), gzip(U8_2x3)};
        int parsed = 0, rejected = 0;
        for (int it = 0; it < 20_000; it++) {
            byte[] b = goods[rnd.nextInt(goods.length)].clone();
            int edits = 1 + rnd.nextInt(3);
            for (int e = 0; e < edits && b.length > 0; e++) {
                switch (rnd.nextInt(4)) {
                    case 0 -> b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                    case 1 -> b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(16);
                    case 2 -> b = Arrays.copyOf(b, rnd.nextInt(b.length + 1));
                    default -> b = Arrays.copyOf(b, b.length + rnd.nextInt(16));
                }
            }
            try {
                IdxFile f = IdxFile.parse(NAME, b);
                for (long i = 0; i < f.count(); i++) f.get(i);
                parsed++;
            } catch (DataFormatException expected) {
                assertTrue(expected.getMessage().startsWith(NAME + " at byte offset "), expected.getMessage());
                rejected++;
            } catch (RuntimeException | OutOfMemoryError other) {
                fail("seed " + seed + " iteration " + it + ": " + other, other);
            }
        }
        assertTrue(parsed > 0 && rejected > 0, "seed " + seed + ": parsed " + parsed + ", rejected " + rejected);
    }
}
