package dev.kiln.models.train;

import dev.kiln.Device;
import dev.kiln.Functional;
import dev.kiln.Kiln;
import dev.kiln.Reduction;
import dev.kiln.RnnParams;
import dev.kiln.Scope;
import dev.kiln.Tensor;
import dev.kiln.autograd.Autograd;
import dev.kiln.data.Batch;
import dev.kiln.data.CharTextDataset;
import dev.kiln.data.DataLoader;
import dev.kiln.data.Dataset;
import dev.kiln.data.Vocabulary;
import dev.kiln.models.RnnLanguageModel;
import dev.kiln.nn.Module;
import dev.kiln.optim.Adam;
import dev.kiln.optim.GradClip;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * A character language model on a UTF-8 text: the last tenth of the text is held out, the rest is cut
 * into windows of T characters and trained on with Adam; each epoch prints the training and held-out
 * bits per character (cross-entropy in nats / ln 2) and a line sampled from the model.
 */
public final class CharLmTraining {
    public enum Kind {
        LSTM, TRANSFORMER;

        /** The subcommand, also the model's name in checkpoints: char-lstm, char-transformer. */
        public String command() { return "char-" + name().toLowerCase(Locale.ROOT); }
    }

    public record Config(Kind kind, Path text, Path out, String backend, int epochs, int batchSize, int seqLen, double lr, long seed,
                         Path resume, PrintStream log, boolean tty, LenetTraining.StepListener listener) {
        public static Config defaults(Kind kind, Path text) {
            return new Config(kind, text, Path.of("runs/" + kind.command()), null, 10, 32, 64, kind == Kind.LSTM ? 3e-3 : 1e-3, 1, null,
                    System.out, Progress.isTerminal(), null);
        }

        public Config withOut(Path p) { return new Config(kind, text, p, backend, epochs, batchSize, seqLen, lr, seed, resume, log, tty, listener); }

        public Config withBackend(String b) { return new Config(kind, text, out, b, epochs, batchSize, seqLen, lr, seed, resume, log, tty, listener); }

        public Config withEpochs(int n) { return new Config(kind, text, out, backend, n, batchSize, seqLen, lr, seed, resume, log, tty, listener); }

        public Config withBatchSize(int n) { return new Config(kind, text, out, backend, epochs, n, seqLen, lr, seed, resume, log, tty, listener); }

        public Config withSeqLen(int t) { return new Config(kind, text, out, backend, epochs, batchSize, t, lr, seed, resume, log, tty, listener); }

        public Config withLr(double r) { return new Config(kind, text, out, backend, epochs, batchSize, seqLen, r, seed, resume, log, tty, listener); }

        public Config withSeed(long s) { return new Config(kind, text, out, backend, epochs, batchSize, seqLen, lr, s, resume, log, tty, listener); }

        public Config withResume(Path p) { return new Config(kind, text, out, backend, epochs, batchSize, seqLen, lr, seed, p, log, tty, listener); }

        public Config withLog(PrintStream p, boolean isTty) { return new Config(kind, text, out, backend, epochs, batchSize, seqLen, lr, seed, resume, p, isTty, listener); }

        public Config withListener(LenetTraining.StepListener l) { return new Config(kind, text, out, backend, epochs, batchSize, seqLen, lr, seed, resume, log, tty, l); }
    }

    /** Counters the transformer's dropout generator has used, in its checkpoints. */
    static final String RANDOM_OFFSET = "random_offset";

    private static final double LN2 = Math.log(2);
    private static final int SAMPLE_CHARS = 100;
    /** Recurrent models need their gradient norm bounded (Pascanu et al. 2013); 1 is the usual choice for character models. */
    private static final double CLIP_NORM = 1.0;

    private CharLmTraining() {}

    /** Trains and returns per epoch: training bits per character as trainLoss, held-out bits per character as testLoss. */
    public static History run(Config c) {
        Device device = c.backend() == null ? Kiln.defaultDevice() : Kiln.device(c.backend());
        CharTextDataset text = CharTextDataset.read(c.text());
        Dataset[] split = text.split(c.seqLen(), 0.1);
        if (split[0].size() == 0 || split[1].size() == 0) {
            throw new dev.kiln.KilnException(c.text() + ": " + text.length() + " characters are too few for windows of " + c.seqLen()
                    + " with a tenth held out");
        }
        DataLoader trainLoader = DataLoader.builder(split[0]).batchSize(c.batchSize()).shuffle(c.seed()).prefetch(4).build();
        DataLoader heldOut = DataLoader.builder(split[1]).batchSize(c.batchSize()).prefetch(2).build();
        Vocabulary vocab = text.vocabulary();
        PrintStream log = c.log();
        TextFingerprint fingerprint = TextFingerprint.of(text);
        String name = c.kind().command();
        log.printf(Locale.ROOT, "%s on %s: %d characters, vocabulary %d, %d training and %d held-out windows of %d, device %s%n",
                name, c.text(), text.length(), vocab.size(), split[0].size(), split[1].size(),
                c.seqLen(), device);
        try (Module model = build(c, device, vocab.size()); Adam optimizer = new Adam(model.parameters(), c.lr())) {
            Map<String, Tensor> named = model.namedParameters();
            Start start = c.resume() == null ? new Start(1, 0, new History()) : resume(c, model, optimizer, fingerprint, device);
            History history = start.history();
            long step = start.step();
            Progress progress = new Progress(log, c.tty(), c.epochs(), trainLoader.batchesPerEpoch(), "bits/char");
            for (int epoch = start.epoch(); epoch <= c.epochs(); epoch++) {
                long started = System.nanoTime();
                model.train(true);
                progress.startEpoch();
                double natsSum = 0;
                long windows = 0;
                int b = 0;
                try (DataLoader.Epoch batches = trainLoader.epoch(epoch, device)) {
                    while (batches.hasNext()) {
                        try (Batch batch = batches.next(); Scope s = Kiln.scope()) {
                            step++;
                            b++;
                            optimizer.zeroGrad();
                            Tensor loss = lmLoss(model, batch, Reduction.MEAN);
                            double value = loss.item();
                            Guards.checkLoss(step, value);
                            loss.backward();
                            double norm = GradClip.clipGradNorm(optimizer.params(), CLIP_NORM);
                            if (!Double.isFinite(norm)) Guards.checkGradients(step, named);
                            optimizer.step();
                            natsSum += value * batch.size();
                            windows += batch.size();
                            progress.batch(epoch, b, value / LN2, (long) windows * c.seqLen());
                            if (c.listener() != null) c.listener().onStep(epoch, b, step, value);
                        }
                    }
                }
                double trainBpc = natsSum / windows / LN2;
                double heldOutBpc = bitsPerCharacter(model, heldOut, device, c.seqLen());
                double seconds = (System.nanoTime() - started) / 1e9;
                history.add(new History.Epoch(epoch, trainBpc, heldOutBpc, Double.NaN, seconds));
                log.printf(Locale.ROOT, "epoch %d/%d: training %.3f bits/char, held-out %.3f bits/char, %.1f s%n",
                        epoch, c.epochs(), trainBpc, heldOutBpc, seconds);
                log.println("  sample: " + printable(sample(model, vocab, c.seqLen(), new Random(c.seed() * 31 + epoch), device)));
                Map<String, String> meta = Checkpoint.metadata(name, epoch, step, history, runOptions(c));
                fingerprint.putInto(meta);
                if (model instanceof CharTransformer t) meta.put(RANDOM_OFFSET, Long.toString(t.randomOffset()));
                Checkpoint.save(c.out().resolve(name + "-epoch-" + epoch + ".safetensors"), model, optimizer, meta);
            }
            log.printf(Locale.ROOT, "checkpoints in %s%n", c.out());
            return history;
        }
    }

    /** Where the epochs begin: the first epoch to train, the optimizer steps and the history before it. */
    private record Start(int epoch, long step, History history) {}

    /** Restores model, optimizer and dropout generator from the checkpoint in {@code c.resume()}, after checking it fits this run. */
    private static Start resume(Config c, Module model, Adam optimizer, TextFingerprint fingerprint, Device device) {
        String name = c.kind().command();
        Start start;
        try (Checkpoint.Contents ck = Checkpoint.resume(c.resume(), device, name)) {
            fingerprint.check(ck, name, c.text());
            if (model instanceof CharTransformer t) requireSameContext(ck, t, c);
            ck.restore(model, optimizer);
            // the optimizer's state dict keeps the rate as a float32 tensor; the run's own double keeps the steps identical
            optimizer.setLr(c.lr());
            if (model instanceof CharTransformer t) t.skipRandomTo(Long.parseLong(ck.require(RANDOM_OFFSET)));
            ck.noteChangedOptions(c.log(), runOptions(c));
            start = new Start(ck.epoch() + 1, ck.step(), ck.history());
        }
        c.log().printf(Locale.ROOT, "resumed from %s: epoch %d done, step %d%n", c.resume(), start.epoch() - 1, start.step());
        return start;
    }

    /** The batch order (seed, batch), the windows (seq) and the steps (lr) follow these; the number of epochs does not change any step. */
    private static Map<String, String> runOptions(Config c) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("seed", Long.toString(c.seed()));
        options.put("batch", Integer.toString(c.batchSize()));
        options.put("seq", Integer.toString(c.seqLen()));
        options.put("lr", Double.toString(c.lr()));
        return options;
    }

    /** The transformer's position embedding has one row per position of a window, so its --seq cannot change. */
    private static void requireSameContext(Checkpoint.Contents ck, CharTransformer model, Config c) {
        String then = ck.require("seq");
        if (!then.equals(Integer.toString(model.maxLen()))) {
            throw new CheckpointException("cannot resume " + c.kind().command() + " from " + ck.file() + " with --seq " + c.seqLen()
                    + ": its position embedding was trained for windows of " + then + " characters; resume with --seq " + then);
        }
    }

    static Module build(Config c, Device device, int vocab) {
        return switch (c.kind()) {
            case LSTM -> RnnLanguageModel.builder(device).mode(RnnParams.Mode.LSTM).vocab(vocab).embed(64).hidden(256).layers(1)
                    .dropout(0).seed(c.seed()).build();
            case TRANSFORMER -> new CharTransformer(device, c.seed(), vocab, c.seqLen(), 128, 4, 2, 0.1);
        };
    }

    /** Cross-entropy of next-character prediction over every position of a batch. */
    static Tensor lmLoss(Module model, Batch batch, Reduction reduction) {
        Tensor logits = model.forward(batch.input());
        int n = batch.input().dim(0) * batch.input().dim(1);
        return Functional.crossEntropy(logits.reshape(n, logits.dim(2)), batch.target().reshape(n), -100, 0, reduction);
    }

    static double bitsPerCharacter(Module model, DataLoader loader, Device device, int seqLen) {
        model.eval();
        double nats = 0;
        long chars = 0;
        try (var off = Autograd.noGrad(); DataLoader.Epoch batches = loader.epoch(0, device)) {
            while (batches.hasNext()) {
                try (Batch batch = batches.next(); Scope s = Kiln.scope()) {
                    nats += lmLoss(model, batch, Reduction.SUM).item();
                    chars += (long) batch.size() * seqLen;
                }
            }
        }
        model.train(true);
        return nats / chars / LN2;
    }

    /** A line from the model: starting after a newline, characters drawn one by one (temperature 0.8) until the next newline. */
    static String sample(Module model, Vocabulary vocab, int context, Random rnd, Device device) {
        model.eval();
        int newline = vocab.id('\n');
        int[] ids = new int[SAMPLE_CHARS + 1];
        ids[0] = newline >= 0 ? newline : 0;
        int len = 1;
        try (var off = Autograd.noGrad()) {
            while (len <= SAMPLE_CHARS) {
                int from = Math.max(0, len - context);
                long[] window = new long[len - from];
                for (int i = from; i < len; i++) window[i - from] = ids[i];
                float[] last;
                try (Scope s = Kiln.scope()) {
                    Tensor logits = model.forward(device.fromArray(window, 1, window.length));
                    last = logits.narrow(1, window.length - 1, 1).reshape(vocab.size()).toFloatArray();
                }
                int next = draw(last, 0.8, rnd);
                if (next == newline) break;
                ids[len++] = next;
            }
        }
        model.train(true);
        return vocab.decode(java.util.Arrays.copyOfRange(ids, 1, len));
    }

    static int draw(float[] logits, double temperature, Random rnd) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp((logits[i] - max) / temperature);
        double u = rnd.nextDouble() * sum;
        for (int i = 0; i < p.length; i++) {
            u -= p[i];
            if (u <= 0) return i;
        }
        return p.length - 1;
    }

    /** Control characters shown as escapes, so a sample stays one terminal line. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == 0x7f) sb.append(String.format("\\u%04x", cp));
            else sb.appendCodePoint(cp);
        });
        return sb.toString();
    }
}
