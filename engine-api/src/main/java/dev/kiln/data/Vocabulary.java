package dev.kiln.data;

import java.util.Arrays;

/** The distinct characters (Unicode code points) of a text, in code-point order; id i is the i-th. */
public final class Vocabulary {
    private final int[] codePoints;

    Vocabulary(int[] sortedDistinctCodePoints) { this.codePoints = sortedDistinctCodePoints; }

    public int size() { return codePoints.length; }

    /** The id of {@code codePoint}, or -1 when the text never has it. */
    public int id(int codePoint) {
        int i = Arrays.binarySearch(codePoints, codePoint);
        return i >= 0 ? i : -1;
    }

    public int codePoint(int id) { return codePoints[id]; }

    /** Ids of the characters of {@code s}; a character outside the vocabulary is an error naming it. */
    public int[] encode(String s) {
        return s.codePoints().map(cp -> {
            int id = id(cp);
            if (id < 0) throw new IllegalArgumentException("Vocabulary: character U+" + Integer.toHexString(cp) + " is not in the vocabulary");
            return id;
        }).toArray();
    }

    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.appendCodePoint(codePoints[id]);
        return sb.toString();
    }
}
