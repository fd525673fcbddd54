package dev.kiln.models.train;

import dev.kiln.KilnException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code kiln train}: trains a zoo model on a real dataset.
 * <pre>
 * kiln train lenet --data DIR [--epochs N] [--backend B] [--batch B] [--lr LR] [--out DIR] [--resume FILE] [--seed S]
 * kiln train char-lstm --text FILE [--epochs N] [--backend B] [--batch B] [--seq T] [--lr LR] [--seed S] [--out DIR] [--resume FILE]
 * kiln train char-transformer --text FILE [same options as char-lstm]
 * </pre>
 * Exit status: 0 done, 2 usage error, 1 anything else (bad data, non-finite training, device errors).
 */
public final class Train {
    private static final String USAGE = """
            usage: kiln train lenet --data DIR [--epochs N] [--backend B] [--batch B] [--lr LR] [--out DIR] [--resume FILE] [--seed S]
                                    [--train-limit N] [--test-limit N]
                   kiln train char-lstm --text FILE [--epochs N] [--backend B] [--batch B] [--seq T] [--lr LR] [--seed S] [--out DIR]
                                        [--resume FILE]
                   kiln train char-transformer --text FILE [same options as char-lstm]
              lenet: LeNet-5 on an MNIST-like directory (e.g. /usr/share/datasets/fashion-mnist from Debian's dataset-fashion-mnist)
              char-*: a character language model on a UTF-8 text; prints bits per character and a sampled line each epoch
              every epoch N writes OUT/MODEL-epoch-N.safetensors (model, optimizer state, epoch, step, history, options;
                for char-* also the vocabulary and the text's SHA-256); --resume FILE continues after that epoch and repeats,
                bit for bit, the run that did not stop (same text, --seed, --batch, --lr and --seq; a changed one is noted)""";

    private Train() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line; returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || List.of("-h", "--help", "help").contains(args[0])) {
            (args.length == 0 ? err : out).println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        try {
            switch (args[0]) {
                case "lenet" -> lenet(new Options("lenet", args, 1, names("data", "epochs", "backend", "batch", "lr", "out", "resume",
                        "seed", "train-limit", "test-limit")), out);
                case "char-lstm", "char-transformer" -> charModel(args[0], new Options(args[0], args, 1,
                        names("text", "epochs", "backend", "batch", "seq", "lr", "seed", "out", "resume")), out);
                default -> throw new Options.UsageException("unknown model '" + args[0] + "' (expected lenet, char-lstm or char-transformer)");
            }
            return 0;
        } catch (Options.UsageException e) {
            err.println("kiln train: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (KilnException | UncheckedIOException e) {
            out.flush();
            err.println("kiln train: " + e.getMessage());
            return 1;
        }
    }

    private static Set<String> names(String... n) { return new LinkedHashSet<>(List.of(n)); }

    private static void lenet(Options o, PrintStream out) {
        LenetTraining.Config c = LenetTraining.Config.defaults(o.requiredPath("data"));
        c = c.withEpochs(o.integer("epochs", c.epochs(), 1))
                .withBackend(o.string("backend", null))
                .withBatchSize(o.integer("batch", c.batchSize(), 1))
                .withLr(o.positive("lr", c.lr()))
                .withOut(o.path("out", c.out()))
                .withResume(o.path("resume", null))
                .withSeed(o.longValue("seed", c.seed()))
                .withLimits(o.integer("train-limit", c.trainLimit(), 1), o.integer("test-limit", c.testLimit(), 1))
                .withLog(out, out == System.out && Progress.isTerminal());
        LenetTraining.run(c);
    }

    private static void charModel(String kind, Options o, PrintStream out) {
        CharLmTraining.Config c = CharLmTraining.Config.defaults(kind.equals("char-lstm") ? CharLmTraining.Kind.LSTM
                : CharLmTraining.Kind.TRANSFORMER, o.requiredPath("text"));
        c = c.withEpochs(o.integer("epochs", c.epochs(), 1))
                .withBackend(o.string("backend", null))
                .withBatchSize(o.integer("batch", c.batchSize(), 1))
                .withSeqLen(o.integer("seq", c.seqLen(), 2))
                .withLr(o.positive("lr", c.lr()))
                .withSeed(o.longValue("seed", c.seed()))
                .withOut(o.path("out", c.out()))
                .withResume(o.path("resume", null))
                .withLog(out, out == System.out && Progress.isTerminal());
        CharLmTraining.run(c);
    }

}
