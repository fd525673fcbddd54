package dev.kiln.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.data.SyntheticMnist;
import dev.kiln.io.SafeTensors;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Per-epoch checkpoints of the character models, resuming from them, and the checkpoints a run refuses. */
class CharLmResumeTest {
    static final String TEXT = "the cat sat on the mat.\nthe dog sat on the log.\n".repeat(6);

    static Path text(Path dir, String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content);
    }

    /** Tiny windows and batches, so that three epochs of either model take seconds on the CPU backend. */
    static CharLmTraining.Config config(CharLmTraining.Kind kind, Path text, Path out, PrintStream log) {
        return CharLmTraining.Config.defaults(kind, text).withBackend("cpu").withSeqLen(8).withBatchSize(8).withLr(1e-2)
                .withSeed(7).withOut(out).withLog(log, false);
    }

    static PrintStream quiet() { return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8); }

    /** (epoch, batch) -> loss of every step of a run. */
    static Map<String, Double> losses(CharLmTraining.Config c) {
        Map<String, Double> out = new LinkedHashMap<>();
        CharLmTraining.run(c.withListener((epoch, batch, step, loss) -> out.put(epoch + "/" + batch, loss)));
        return out;
    }

    @ParameterizedTest
    @EnumSource(CharLmTraining.Kind.class)
    void stoppingAfterOneEpochAndResumingRepeatsTheStraightRunBitForBit(CharLmTraining.Kind kind, @TempDir Path dir) throws Exception {
        Path text = text(dir, "t.txt", TEXT);
        String name = kind.command();
        Map<String, Double> straight = losses(config(kind, text, dir.resolve("straight"), quiet()).withEpochs(3));
        Map<String, Double> firstPart = losses(config(kind, text, dir.resolve("stopped"), quiet()).withEpochs(1));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Map<String, Double> rest = losses(config(kind, text, dir.resolve("stopped"), new PrintStream(log, true, StandardCharsets.UTF_8))
                .withEpochs(3).withResume(dir.resolve("stopped/" + name + "-epoch-1.safetensors")));

        assertTrue(log.toString(StandardCharsets.UTF_8).contains("epoch 1 done"), log.toString(StandardCharsets.UTF_8));
        assertFalse(log.toString(StandardCharsets.UTF_8).contains("note:"), "nothing changed: " + log.toString(StandardCharsets.UTF_8));
        Map<String, Double> joined = new LinkedHashMap<>(firstPart);
        joined.putAll(rest);
        assertEquals(straight.keySet(), joined.keySet());
        assertTrue(rest.keySet().stream().noneMatch(k -> k.startsWith("1/")), "the resumed run starts with epoch 2: " + rest.keySet());
        for (var e : straight.entrySet()) {
            assertEquals(Double.doubleToRawLongBits(e.getValue()), Double.doubleToRawLongBits(joined.get(e.getKey())),
                    name + " step " + e.getKey() + ": straight " + e.getValue() + ", stopped and resumed " + joined.get(e.getKey()));
        }
        assertSameTensorsAndPosition(dir.resolve("straight/" + name + "-epoch-3.safetensors"), dir.resolve("stopped/" + name + "-epoch-3.safetensors"));
    }

    /** Model weights and optimizer moments equal bit for bit; the metadata agree on step, random position and history's losses. */
    static void assertSameTensorsAndPosition(Path a, Path b) {
        try (SafeTensors x = SafeTensors.open(a); SafeTensors y = SafeTensors.open(b)) {
            assertEquals(x.names(), y.names());
            assertTrue(x.names().stream().anyMatch(n -> n.startsWith("optimizer.state.")), x.names().toString());
            for (String n : x.names()) {
                assertEquals(x.entry(n).dtype(), y.entry(n).dtype(), n);
                assertEquals(x.entry(n).shape(), y.entry(n).shape(), n);
                long at = x.bytes(n).mismatch(y.bytes(n));
                assertEquals(-1, at, n + " differs at byte " + at);
            }
            for (String key : new String[] {"model", "epoch", "step", CharLmTraining.RANDOM_OFFSET, TextFingerprint.VOCABULARY}) {
                assertEquals(x.metadata().get(key), y.metadata().get(key), key);
            }
            var hx = History.decode(x.metadata().get("history")).epochs();
            var hy = History.decode(y.metadata().get("history")).epochs();
            assertEquals(3, hy.size(), "the resumed run's history holds the epochs before the checkpoint too");
            for (int i = 0; i < 3; i++) {
                assertEquals(hx.get(i).trainLoss(), hy.get(i).trainLoss(), "training bits/char of epoch " + (i + 1));
                assertEquals(hx.get(i).testLoss(), hy.get(i).testLoss(), "held-out bits/char of epoch " + (i + 1));
            }
        }
    }

    @Test
    void aCheckpointHoldsTheRunsPositionVocabularyAndOptions(@TempDir Path dir) throws Exception {
        Path text = text(dir, "t.txt", TEXT);
        CharLmTraining.run(config(CharLmTraining.Kind.TRANSFORMER, text, dir.resolve("out"), quiet()).withEpochs(2));
        try (SafeTensors st = SafeTensors.open(dir.resolve("out/char-transformer-epoch-2.safetensors"))) {
            assertTrue(st.names().contains("model.tok_emb.weight"), st.names().toString());
            assertTrue(st.names().contains("optimizer.state.0.exp_avg"), st.names().toString());
            Map<String, String> m = st.metadata();
            assertEquals("char-transformer", m.get("model"));
            assertEquals("2", m.get("epoch"));
            assertEquals("8", m.get("seq"));
            assertEquals("7", m.get("seed"));
            assertEquals(Integer.toString(TEXT.length()), m.get(TextFingerprint.LENGTH));
            // the distinct characters of TEXT in code-point order: newline, space, '.', then the letters
            assertEquals("a 20 2e 61 63 64 65 67 68 6c 6d 6e 6f 73 74", m.get(TextFingerprint.VOCABULARY));
            assertEquals(2, History.decode(m.get("history")).epochs().size());
            long offset = Long.parseLong(m.get(CharLmTraining.RANDOM_OFFSET));
            try (var fresh = new CharTransformer(Kiln.device("cpu"), 7, 15, 8, 128, 4, 2, 0.1)) {
                assertTrue(offset > fresh.randomOffset(), "dropout drew masks after initialization: " + offset + " vs " + fresh.randomOffset());
            }
        }
        assertTrue(Files.isRegularFile(dir.resolve("out/char-transformer-epoch-1.safetensors")));
    }

    @Test
    void aMissingCheckpointIsAnErrorNamingTheFile(@TempDir Path dir) throws Exception {
        Path text = text(dir, "t.txt", TEXT);
        Path missing = dir.resolve("nowhere/char-lstm-epoch-4.safetensors");
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> CharLmTraining.run(config(CharLmTraining.Kind.LSTM, text, dir.resolve("out"), quiet()).withResume(missing)));
        assertEquals("cannot resume from " + missing + ": there is no such file", e.getMessage());
    }

    @Test
    void anotherModelsCheckpointIsAnErrorNamingBoth(@TempDir Path dir) throws Exception {
        Path text = text(dir, "t.txt", TEXT);
        CharLmTraining.run(config(CharLmTraining.Kind.LSTM, text, dir.resolve("lstm"), quiet()).withEpochs(1));
        Path lstm = dir.resolve("lstm/char-lstm-epoch-1.safetensors");
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> CharLmTraining.run(config(CharLmTraining.Kind.TRANSFORMER, text, dir.resolve("out"), quiet()).withResume(lstm)));
        assertEquals("cannot resume char-transformer from " + lstm + ": it is a checkpoint of char-lstm", e.getMessage());
        Path data = SyntheticMnist.write(Files.createDirectory(dir.resolve("data")), 32, 32, 3);
        CheckpointException lenet = assertThrows(CheckpointException.class,
                () -> LenetTraining.run(LenetTrainingTest.config(data, dir.resolve("lenet")).withResume(lstm)));
        assertEquals("cannot resume lenet5 from " + lstm + ": it is a checkpoint of char-lstm", lenet.getMessage());
    }

    @Test
    void anotherVocabularyIsAnErrorSayingWhichCharactersDiffer(@TempDir Path dir) throws Exception {
        Path text = text(dir, "t.txt", TEXT);
        CharLmTraining.run(config(CharLmTraining.Kind.LSTM, text, dir.resolve("out"), quiet()).withEpochs(1));
        Path checkpoint = dir.resolve("out/char-lstm-epoch-1.safetensors");
        Path other = text(dir, "other.txt", TEXT.replace('c', 'k') + "Mk");
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> CharLmTraining.run(config(CharLmTraining.Kind.LSTM, other, dir.resolve("out2"), quiet()).withResume(checkpoint)));
        assertEquals("cannot resume char-lstm from " + checkpoint + " with the text " + other + ": the vocabularies differ (the checkpoint's has"
                + " 15 characters, the text's 16; only in the checkpoint: 'c' U+0063; only in the text: 'M' U+004D, 'k' U+006B)", e.getMessage());
    }

    @Test
    void anotherTextWithTheSameVocabularyIsAnError(@TempDir Path dir) throws Exception {
        Path text = text(dir, "t.txt", TEXT);
        CharLmTraining.run(config(CharLmTraining.Kind.LSTM, text, dir.resolve("out"), quiet()).withEpochs(1));
        Path checkpoint = dir.resolve("out/char-lstm-epoch-1.safetensors");
        Path shuffled = text(dir, "shuffled.txt", TEXT.replace("cat", "tac"));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> CharLmTraining.run(config(CharLmTraining.Kind.LSTM, shuffled, dir.resolve("out2"), quiet()).withResume(checkpoint)));
        assertTrue(e.getMessage().startsWith("cannot resume char-lstm from " + checkpoint + " with the text " + shuffled
                + ": the checkpoint was trained on another text with the same vocabulary (" + TEXT.length() + " characters, SHA-256 "), e.getMessage());
    }

    @Test
    void aTransformerCannotResumeWithAnotherWindowLengthAndChangedOptionsAreNoted(@TempDir Path dir) throws Exception {
        Path text = text(dir, "t.txt", TEXT);
        CharLmTraining.run(config(CharLmTraining.Kind.TRANSFORMER, text, dir.resolve("out"), quiet()).withEpochs(1));
        Path checkpoint = dir.resolve("out/char-transformer-epoch-1.safetensors");
        CheckpointException e = assertThrows(CheckpointException.class, () -> CharLmTraining.run(
                config(CharLmTraining.Kind.TRANSFORMER, text, dir.resolve("out2"), quiet()).withSeqLen(12).withResume(checkpoint)));
        assertEquals("cannot resume char-transformer from " + checkpoint + " with --seq 12: its position embedding was trained for windows"
                + " of 8 characters; resume with --seq 8", e.getMessage());

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        CharLmTraining.run(config(CharLmTraining.Kind.TRANSFORMER, text, dir.resolve("out3"), new PrintStream(log, true, StandardCharsets.UTF_8))
                .withEpochs(2).withLr(5e-3).withResume(checkpoint));
        String printed = log.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("note: the checkpoint was made with --lr 0.01, this run uses 0.005, so it will not repeat the original run exactly"),
                printed);
        assertTrue(Files.isRegularFile(dir.resolve("out3/char-transformer-epoch-2.safetensors")));
        assertFalse(Files.exists(dir.resolve("out3/char-transformer-epoch-1.safetensors")), "epoch 1 is not trained again");
    }
}
