package dev.kiln.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.DType;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Header parsing and validation of safetensors files, built byte by byte as the format defines them. */
class SafeTensorsTest {
    static final Path NAME = Path.of("test.safetensors");
    static final String MUTATIONS = "{}[]\":,0123456789-e.\\ ";

    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.writeBytes(h);
        out.writeBytes(data);
        return out.toByteArray();
    }

    static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    static final String VALID = "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}";

    static SafeTensors parse(byte[] bytes) { return SafeTensors.parse(NAME, MemorySegment.ofArray(bytes)); }

    @Test
    void readsEntriesMetadataAndBytes() {
        SafeTensors st = parse(file(VALID, floats(1, 2, 3, 4, 5, 6)));
        assertEquals(java.util.List.of("w", "b"), st.names());
        assertEquals("pt", st.metadata().get("format"));
        assertEquals(DType.F32, st.entry("w").dtype());
        assertArrayEquals(new int[] {2, 2}, st.entry("w").shape().dims());
        assertArrayEquals(new float[] {5, 6}, st.bytes("b").toArray(ValueLayout.JAVA_FLOAT_UNALIGNED));
    }

    void rejects(String why, byte[] bytes, String... messageParts) {
        var e = assertThrows(SafeTensorsException.class, () -> parse(bytes), why);
        assertTrue(e.getMessage().contains(NAME.toString()), "message names the file: " + e.getMessage());
        for (String p : messageParts) assertTrue(e.getMessage().contains(p), why + ": message '" + e.getMessage() + "' lacks '" + p + "'");
    }

    @Test
    void malformedFilesGiveErrorsNamingFileAndKey() {
        byte[] good = file(VALID, floats(1, 2, 3, 4, 5, 6));
        rejects("truncated below the length field", java.util.Arrays.copyOf(good, 5), "too short");
        rejects("truncated data", java.util.Arrays.copyOf(good, good.length - 4), "data section");
        byte[] huge = good.clone();
        huge[0] = (byte) 0xFF;
        huge[3] = (byte) 0x7F;
        rejects("header size beyond the file", huge, "header size");
        rejects("bad JSON", file("{\"w\":{", floats()), "not valid JSON");
        rejects("unknown dtype", file("{\"w\":{\"dtype\":\"F8\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1]), "'w'", "F8");
        rejects("shape and size disagree", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", floats(1, 2)), "'w'", "needs 12 bytes");
        rejects("offsets out of range", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", floats(1, 2)), "'w'", "outside");
        rejects("overlapping", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", floats(1, 2, 3)), "overlaps");
        rejects("a gap", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", floats(1, 2)), "'a'", "gap");
        rejects("negative dimension", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", floats(1)), "'a'", "shape");
        rejects("duplicate key", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", floats(1)), "duplicate");
        var e = assertThrows(SafeTensorsException.class, () -> parse(good).entry("missing"));
        assertTrue(e.getMessage().contains("'missing'"));
    }

    /** A seeded mutation loop over a valid file: every outcome is a successful parse or a SafeTensorsException. */
    @Test
    void mutatedFilesNeverEscapeAsOtherExceptions() {
        long seed = new Random().nextLong();
        Random rnd = new Random(seed);
        byte[] good = file(VALID, floats(1, 2, 3, 4, 5, 6));
        int parsed = 0, rejected = 0;
        for (int it = 0; it < 20_000; it++) {
            byte[] b = good.clone();
            int edits = 1 + rnd.nextInt(4);
            for (int e = 0; e < edits; e++) {
                switch (rnd.nextInt(4)) {
                    case 0 -> b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                    case 1 -> b[rnd.nextInt(b.length)] = (byte) MUTATIONS.charAt(rnd.nextInt(MUTATIONS.length()));
                    case 2 -> b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length + 1));
                    default -> b = java.util.Arrays.copyOf(b, b.length + rnd.nextInt(16));
                }
                if (b.length == 0) break;
            }
            try {
                SafeTensors st = parse(b);
                for (String n : st.names()) st.bytes(n);
                parsed++;
            } catch (SafeTensorsException expected) {
                rejected++;
            } catch (RuntimeException other) {
                fail("seed " + seed + " iteration " + it + ": " + other, other);
            }
        }
        assertTrue(rejected > 1000 && parsed > 0, "the loop exercised both outcomes: " + parsed + " parsed, " + rejected + " rejected");
    }

    @Test
    void openMapsAFileAndClosesIt(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("x.safetensors");
        Files.write(f, file(VALID, floats(1, 2, 3, 4, 5, 6)));
        try (SafeTensors st = SafeTensors.open(f)) {
            assertArrayEquals(new float[] {1, 2, 3, 4}, st.bytes("w").toArray(ValueLayout.JAVA_FLOAT_UNALIGNED));
        }
        Files.write(f, new byte[3]);
        var e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(f));
        assertTrue(e.getMessage().contains(f.toString()));
    }
}
