package dev.kiln.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainTest {
    record Result(int status, String out, String err) {}

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = Train.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void usageErrorsExitWithTwoAndSayWhatIsWrong() {
        Result none = run();
        assertEquals(2, none.status());
        assertTrue(none.err().contains("usage: kiln train lenet"), none.err());
        assertEquals(2, run("resnet").status());
        Result missing = run("lenet", "--epochs", "3");
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("lenet: --data is required"), missing.err());
        Result unknown = run("lenet", "--data", "x", "--epoch", "3");
        assertTrue(unknown.err().contains("unknown option --epoch"), unknown.err());
        Result bad = run("char-lstm", "--text", "x", "--lr", "-1");
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("--lr must be a positive number"), bad.err());
        assertEquals(0, run("--help").status());
    }

    @Test
    void badDataExitsWithOneNamingTheFile(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("train-images-idx3-ubyte"), new byte[] {0, 0, 8, 3, 0, 0});
        Files.write(dir.resolve("train-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 0});
        Result r = run("lenet", "--data", dir.toString(), "--backend", "cpu", "--out", dir.resolve("out").toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("train-images-idx3-ubyte at byte offset 6: file ends inside dimension 0 of 3"), r.err());
    }

    @Test
    void charLstmPrintsBitsPerCharacterAndASample(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("t.txt");
        Files.writeString(text, "the cat sat on the mat.\nthe dog sat on the log.\n".repeat(20));
        Result r = run("char-lstm", "--text", text.toString(), "--epochs", "1", "--seq", "16", "--batch", "16", "--backend", "cpu",
                "--out", dir.resolve("out").toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().matches("(?s).*epoch 1/1: training \\d+\\.\\d+ bits/char, held-out \\d+\\.\\d+ bits/char.*"), r.out());
        assertTrue(r.out().contains("  sample: "), r.out());
        assertTrue(Files.isRegularFile(dir.resolve("out/char-lstm-epoch-1.safetensors")));
    }

    @Test
    void charModelsResumeFromTheCommandLineAndAMissingCheckpointExitsWithOne(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("t.txt");
        Files.writeString(text, "the cat sat on the mat.\n".repeat(20));
        String out = dir.resolve("out").toString();
        String[] common = {"--text", text.toString(), "--seq", "8", "--batch", "8", "--backend", "cpu", "--out", out};
        assertEquals(0, run(concat(new String[] {"char-lstm", "--epochs", "1"}, common)).status());
        Path checkpoint = dir.resolve("out/char-lstm-epoch-1.safetensors");
        Result resumed = run(concat(new String[] {"char-lstm", "--epochs", "2", "--resume", checkpoint.toString()}, common));
        assertEquals(0, resumed.status(), resumed.err());
        assertTrue(resumed.out().contains("resumed from " + checkpoint + ": epoch 1 done"), resumed.out());
        assertTrue(Files.isRegularFile(dir.resolve("out/char-lstm-epoch-2.safetensors")));

        Path missing = dir.resolve("out/char-lstm-epoch-9.safetensors");
        Result failed = run(concat(new String[] {"char-transformer", "--resume", missing.toString()}, common));
        assertEquals(1, failed.status());
        assertTrue(failed.err().contains("kiln train: cannot resume from " + missing + ": there is no such file"), failed.err());
        assertTrue(run("--help").out().contains("[--resume FILE]"));
    }

    static String[] concat(String[] a, String[] b) {
        return java.util.stream.Stream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b)).toArray(String[]::new);
    }

    @Test
    void charTransformerLearnsARepetitiveText(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("t.txt");
        Files.writeString(text, "abcdefgh\n".repeat(80));
        CharLmTraining.Config c = CharLmTraining.Config.defaults(CharLmTraining.Kind.TRANSFORMER, text).withBackend("cpu")
                .withEpochs(3).withSeqLen(16).withBatchSize(8).withLr(3e-3).withOut(dir.resolve("out"))
                .withLog(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false);
        History h = CharLmTraining.run(c);
        double first = h.epochs().getFirst().trainLoss(), last = h.epochs().getLast().testLoss();
        assertTrue(last < 0.5 * first, "bits per character: first epoch training " + first + ", last held-out " + last);
    }
}
