package dev.kiln.models.train;

import dev.kiln.data.CharTextDataset;
import dev.kiln.data.Vocabulary;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * What a character model was trained on: the vocabulary (its ids are the rows of the embedding and the
 * head) and the text itself (its length and SHA-256). A checkpoint records both, so resuming against
 * another text is an error that says what differs, instead of a model that silently reads other characters.
 */
record TextFingerprint(int[] vocabulary, int length, String sha256) {
    static final String VOCABULARY = "vocabulary", LENGTH = "text_characters", SHA256 = "text_sha256";
    private static final int SHOWN = 10;

    static TextFingerprint of(CharTextDataset text) {
        Vocabulary v = text.vocabulary();
        int[] codePoints = IntStream.range(0, v.size()).map(v::codePoint).toArray();
        MessageDigest digest = sha256Digest();
        ByteBuffer buf = ByteBuffer.allocate(4);
        for (int i = 0; i < text.length(); i++) {
            digest.update(buf.clear().putInt(codePoints[text.id(i)]).array());
        }
        return new TextFingerprint(codePoints, text.length(), HexFormat.of().formatHex(digest.digest()));
    }

    /** Adds the fingerprint to a checkpoint's metadata; the vocabulary as hexadecimal code points separated by spaces. */
    void putInto(Map<String, String> meta) {
        meta.put(VOCABULARY, Arrays.stream(vocabulary).mapToObj(Integer::toHexString).collect(Collectors.joining(" ")));
        meta.put(LENGTH, Integer.toString(length));
        meta.put(SHA256, sha256);
    }

    /** Throws a {@link CheckpointException} naming the checkpoint, the text and what differs, unless the checkpoint was made on this text. */
    void check(Checkpoint.Contents ck, String model, Path text) {
        String prefix = "cannot resume " + model + " from " + ck.file() + " with the text " + text + ": ";
        int[] then = decodeVocabulary(ck.require(VOCABULARY));
        if (!Arrays.equals(then, vocabulary)) {
            throw new CheckpointException(prefix + "the vocabularies differ (the checkpoint's has " + then.length + " characters, the text's "
                    + vocabulary.length + "; only in the checkpoint: " + missingFrom(then, vocabulary) + "; only in the text: "
                    + missingFrom(vocabulary, then) + ")");
        }
        if (!ck.require(SHA256).equals(sha256)) {
            throw new CheckpointException(prefix + "the checkpoint was trained on another text with the same vocabulary ("
                    + ck.require(LENGTH) + " characters, SHA-256 " + ck.require(SHA256).substring(0, 16) + "..., this one has " + length
                    + " characters, SHA-256 " + sha256.substring(0, 16) + "...)");
        }
    }

    private static int[] decodeVocabulary(String s) {
        if (s.isBlank()) return new int[0];
        return Arrays.stream(s.trim().split(" ")).mapToInt(h -> Integer.parseInt(h, 16)).toArray();
    }

    /** The characters of {@code a} that {@code b} lacks, quoted with their code points, the first few of them. */
    private static String missingFrom(int[] a, int[] b) {
        int[] only = Arrays.stream(a).filter(cp -> Arrays.binarySearch(b, cp) < 0).toArray();
        if (only.length == 0) return "none";
        String shown = Arrays.stream(only).limit(SHOWN).mapToObj(TextFingerprint::describe).collect(Collectors.joining(", "));
        return only.length > SHOWN ? shown + " and " + (only.length - SHOWN) + " more" : shown;
    }

    private static String describe(int cp) {
        String glyph = cp < 0x20 || cp == 0x7f ? "" : "'" + Character.toString(cp) + "' ";
        return glyph + String.format("U+%04X", cp);
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
