package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CharTextDatasetTest {
    @Test
    void vocabularyIsTheSortedDistinctCharacters() {
        CharTextDataset t = CharTextDataset.parse("t.txt", "hello, wörld 😀".getBytes(StandardCharsets.UTF_8));
        Vocabulary v = t.vocabulary();
        assertEquals(" ,dehlorw\u00f6\ud83d\ude00", v.decode(java.util.stream.IntStream.range(0, v.size()).toArray()));
        assertEquals("hello, wörld 😀", v.decode(v.encode("hello, wörld 😀")));
        assertEquals(14, t.length());
        assertThrows(IllegalArgumentException.class, () -> v.encode("x"));
    }

    @Test
    void windowsPredictTheNextCharacter() {
        CharTextDataset t = CharTextDataset.of("t", "abcdefghij");
        Dataset w = t.sequences(3, 0, 10);
        assertEquals(3, w.size()); // (10 - 1) / 3
        HostBatch b = w.batch(new int[] {2, 0});
        assertArrayEquals(new int[] {2, 3}, b.input().dims());
        assertArrayEquals(new long[] {6, 7, 8, 0, 1, 2}, b.input().longs());
        assertArrayEquals(new long[] {7, 8, 9, 1, 2, 3}, b.target().longs());
    }

    @Test
    void splitHoldsOutTheEndOfTheText() {
        CharTextDataset t = CharTextDataset.of("t", "abcdefghijklmnopqrstuvwxyz".repeat(4));
        Dataset[] s = t.split(4, 0.25);
        assertEquals((78 - 1) / 4, s[0].size());
        assertEquals((26 - 1) / 4, s[1].size());
        assertEquals(t.id(78), s[1].batch(new int[] {0}).input().longs()[0]);
    }

    @Test
    void malformedUtf8NamesTheByteOffset() {
        byte[] bytes = {'a', 'b', (byte) 0xC3, 'c'};
        DataFormatException e = assertThrows(DataFormatException.class, () -> CharTextDataset.parse("bad.txt", bytes));
        assertEquals(2, e.offset());
        assertTrue(e.getMessage().startsWith("bad.txt at byte offset 2: malformed UTF-8"), e.getMessage());
        assertThrows(DataFormatException.class, () -> CharTextDataset.parse("one.txt", "a".getBytes(StandardCharsets.UTF_8)));
    }
}
