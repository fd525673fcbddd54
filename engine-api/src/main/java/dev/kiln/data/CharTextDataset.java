package dev.kiln.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A UTF-8 text as a sequence of character ids, for character-level language modelling. The text is
 * cut into consecutive, non-overlapping windows of T + 1 characters; example i gives input ids
 * [i*T, i*T + T) and targets shifted by one, [i*T + 1, i*T + T + 1), both I64 [B, T] in a batch.
 * {@link #split} divides the text by position (the end for validation), so the two never share a window.
 */
public final class CharTextDataset {
    private final String name;
    private final Vocabulary vocabulary;
    private final int[] ids;

    private CharTextDataset(String name, Vocabulary vocabulary, int[] ids) {
        this.name = name;
        this.vocabulary = vocabulary;
        this.ids = ids;
    }

    /** Reads a UTF-8 file; malformed UTF-8 is an error naming the file and the byte offset. */
    public static CharTextDataset read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return parse(file.toString(), bytes);
    }

    /** Parses UTF-8 bytes; {@code name} is used in error messages. */
    public static CharTextDataset parse(String name, byte[] utf8) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(utf8);
        CharBuffer out = CharBuffer.allocate(utf8.length);
        CoderResult r = decoder.decode(in, out, true);
        if (r.isError()) throw new DataFormatException(name, in.position(), "malformed UTF-8 (" + r + ")");
        decoder.flush(out);
        String text = out.flip().toString();
        if (text.codePointCount(0, text.length()) < 2) {
            throw new DataFormatException(name, utf8.length, "a language model needs at least 2 characters, the text has "
                    + text.codePointCount(0, text.length()));
        }
        return of(name, text);
    }

    /** The text {@code text}, with a vocabulary built from it. */
    public static CharTextDataset of(String name, String text) {
        int[] cps = text.codePoints().toArray();
        Vocabulary vocab = new Vocabulary(Arrays.stream(cps).distinct().sorted().toArray());
        int[] ids = new int[cps.length];
        for (int i = 0; i < cps.length; i++) ids[i] = vocab.id(cps[i]);
        return new CharTextDataset(name, vocab, ids);
    }

    public String name() { return name; }

    public Vocabulary vocabulary() { return vocabulary; }

    /** Characters in the text. */
    public int length() { return ids.length; }

    public int id(int position) { return ids[position]; }

    /** Windows of {@code seqLen} over characters [from, to) of the text. */
    public Dataset sequences(int seqLen, int from, int to) {
        if (seqLen < 1) throw new IllegalArgumentException("CharTextDataset: sequence length must be at least 1, got " + seqLen);
        if (from < 0 || to > ids.length || from > to) {
            throw new IndexOutOfBoundsException("CharTextDataset: range [" + from + ", " + to + ") of " + ids.length + " characters");
        }
        int windows = Math.max(0, (to - from - 1) / seqLen);
        return new Windows(seqLen, from, windows);
    }

    /** Training windows (the first part) and validation windows (the last {@code validationFraction} of the text). */
    public Dataset[] split(int seqLen, double validationFraction) {
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("CharTextDataset: validation fraction must be in [0, 1), got " + validationFraction);
        }
        int cut = (int) Math.round(ids.length * (1 - validationFraction));
        return new Dataset[] {sequences(seqLen, 0, cut), sequences(seqLen, cut, ids.length)};
    }

    private final class Windows implements Dataset {
        private final int seqLen, from, windows;

        Windows(int seqLen, int from, int windows) {
            this.seqLen = seqLen;
            this.from = from;
            this.windows = windows;
        }

        @Override
        public int size() { return windows; }

        @Override
        public HostBatch batch(int[] indices) {
            long[] x = new long[indices.length * seqLen], y = new long[indices.length * seqLen];
            for (int b = 0; b < indices.length; b++) {
                int i = indices[b];
                if (i < 0 || i >= windows) throw new IndexOutOfBoundsException("CharTextDataset: window " + i + " of " + windows);
                int start = from + i * seqLen;
                for (int t = 0; t < seqLen; t++) {
                    x[b * seqLen + t] = ids[start + t];
                    y[b * seqLen + t] = ids[start + t + 1];
                }
            }
            return new HostBatch(HostArray.ofLongs(x, indices.length, seqLen), HostArray.ofLongs(y, indices.length, seqLen), indices.length);
        }
    }
}
