package dev.kiln.models.train;

import dev.kiln.Device;
import dev.kiln.Functional;
import dev.kiln.Kiln;
import dev.kiln.Reduction;
import dev.kiln.Scope;
import dev.kiln.Tensor;
import dev.kiln.autograd.Autograd;
import dev.kiln.data.Batch;
import dev.kiln.data.DataLoader;
import dev.kiln.data.ImageDataset;
import dev.kiln.data.MnistLike;
import dev.kiln.models.LeNet5;
import dev.kiln.optim.Adam;
import dev.kiln.optim.CosineAnnealingLR;
import dev.kiln.optim.LrSchedule;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * LeNet-5 on an MNIST-like dataset (Fashion-MNIST by default): 28x28 images padded to 32x32 and
 * normalized, Adam with a cosine learning-rate decay over the run, test accuracy after each epoch, a
 * checkpoint per epoch ({@code lenet-epoch-N.safetensors}) and a chart ({@code lenet.png}) in the output
 * directory. A run resumed from a checkpoint continues exactly as the uninterrupted run would have.
 */
public final class LenetTraining {
    /** The name in the checkpoints' metadata; only a checkpoint with it resumes a LeNet run. */
    static final String MODEL = "lenet5";

    /** Called after every optimizer step with the 1-based epoch, batch, global step and the batch's loss. */
    public interface StepListener {
        void onStep(int epoch, int batch, long step, double loss);
    }

    /** What to train and where; {@link #defaults} fills everything but the data directory. */
    public record Config(Path data, Path out, String backend, int epochs, int batchSize, double lr, long seed, Path resume,
                         int trainLimit, int testLimit, PrintStream log, boolean tty, StepListener listener) {
        public static Config defaults(Path data) {
            return new Config(data, Path.of("runs/lenet"), null, 10, 64, 2e-3, 1, null, Integer.MAX_VALUE, Integer.MAX_VALUE,
                    System.out, Progress.isTerminal(), null);
        }

        public Config withOut(Path p) { return new Config(data, p, backend, epochs, batchSize, lr, seed, resume, trainLimit, testLimit, log, tty, listener); }

        public Config withBackend(String b) { return new Config(data, out, b, epochs, batchSize, lr, seed, resume, trainLimit, testLimit, log, tty, listener); }

        public Config withEpochs(int n) { return new Config(data, out, backend, n, batchSize, lr, seed, resume, trainLimit, testLimit, log, tty, listener); }

        public Config withBatchSize(int n) { return new Config(data, out, backend, epochs, n, lr, seed, resume, trainLimit, testLimit, log, tty, listener); }

        public Config withLr(double r) { return new Config(data, out, backend, epochs, batchSize, r, seed, resume, trainLimit, testLimit, log, tty, listener); }

        public Config withSeed(long s) { return new Config(data, out, backend, epochs, batchSize, lr, s, resume, trainLimit, testLimit, log, tty, listener); }

        public Config withResume(Path p) { return new Config(data, out, backend, epochs, batchSize, lr, seed, p, trainLimit, testLimit, log, tty, listener); }

        public Config withLimits(int train, int test) { return new Config(data, out, backend, epochs, batchSize, lr, seed, resume, train, test, log, tty, listener); }

        public Config withLog(PrintStream p, boolean isTty) { return new Config(data, out, backend, epochs, batchSize, lr, seed, resume, trainLimit, testLimit, p, isTty, listener); }

        public Config withListener(StepListener l) { return new Config(data, out, backend, epochs, batchSize, lr, seed, resume, trainLimit, testLimit, log, tty, l); }
    }

    private LenetTraining() {}

    /** Trains and returns the per-epoch history (a resumed run's includes the epochs before the checkpoint). */
    public static History run(Config c) {
        Device device = c.backend() == null ? Kiln.defaultDevice() : Kiln.device(c.backend());
        ImageDataset train = prepare(MnistLike.load(c.data(), MnistLike.Split.TRAIN)).limit(c.trainLimit());
        ImageDataset test = prepare(MnistLike.load(c.data(), MnistLike.Split.TEST)).limit(c.testLimit());
        DataLoader trainLoader = DataLoader.builder(train).batchSize(c.batchSize()).shuffle(c.seed()).prefetch(4).build();
        DataLoader testLoader = DataLoader.builder(test).batchSize(500).prefetch(2).build();
        PrintStream log = c.log();
        log.printf(Locale.ROOT, "LeNet-5 on %s (%d training, %d test images), device %s, batch %d, Adam lr %s with cosine decay to lr/20, %d epochs%n",
                c.data(), train.size(), test.size(), device, c.batchSize(), c.lr(), c.epochs());
        try (LeNet5 model = LeNet5.builder(device).seed(c.seed()).build();
             Adam optimizer = new Adam(model.parameters(), c.lr())) {
            LrSchedule schedule = new CosineAnnealingLR(optimizer, Math.max(1, c.epochs() - 1), c.lr() / 20);
            Map<String, Tensor> named = model.namedParameters();
            History history = new History();
            int firstEpoch = 1;
            long step = 0;
            if (c.resume() != null) {
                try (Checkpoint.Contents ck = Checkpoint.resume(c.resume(), device, MODEL)) {
                    ck.restore(model, optimizer);
                    step = ck.step();
                    firstEpoch = ck.epoch() + 1;
                    history = ck.history();
                    ck.noteChangedOptions(log, runOptions(c));
                }
                log.printf(Locale.ROOT, "resumed from %s: epoch %d done, step %d%n", c.resume(), firstEpoch - 1, step);
            }
            Progress progress = new Progress(log, c.tty(), c.epochs(), trainLoader.batchesPerEpoch(), "loss");
            for (int epoch = firstEpoch; epoch <= c.epochs(); epoch++) {
                long started = System.nanoTime();
                optimizer.setLr(schedule.lrAt(c.lr(), epoch - 1)); // from the epoch, so a resumed run gets the same rate
                model.train(true);
                progress.startEpoch();
                double lossSum = 0;
                long examples = 0;
                int b = 0;
                try (DataLoader.Epoch batches = trainLoader.epoch(epoch, device)) {
                    while (batches.hasNext()) {
                        try (Batch batch = batches.next(); Scope s = Kiln.scope()) {
                            step++;
                            b++;
                            optimizer.zeroGrad();
                            Tensor loss = Functional.crossEntropy(model.forward(batch.input()), batch.target());
                            double value = loss.item();
                            Guards.checkLoss(step, value);
                            loss.backward();
                            Guards.checkGradients(step, named);
                            optimizer.step();
                            lossSum += value * batch.size();
                            examples += batch.size();
                            progress.batch(epoch, b, value, examples);
                            if (c.listener() != null) c.listener().onStep(epoch, b, step, value);
                        }
                    }
                }
                double[] eval = evaluate(model, testLoader, device);
                double seconds = (System.nanoTime() - started) / 1e9;
                History.Epoch result = new History.Epoch(epoch, lossSum / examples, eval[0], eval[1], seconds);
                history.add(result);
                log.printf(Locale.ROOT, "epoch %d/%d: training loss %.4f, test loss %.4f, test accuracy %.2f%%, %.1f s%n",
                        epoch, c.epochs(), result.trainLoss(), result.testLoss(), 100 * result.testAccuracy(), seconds);
                Map<String, String> meta = Checkpoint.metadata(MODEL, epoch, step, history, runOptions(c));
                Path checkpoint = c.out().resolve("lenet-epoch-" + epoch + ".safetensors");
                Checkpoint.save(checkpoint, model, optimizer, meta);
                Chart.write(c.out().resolve("lenet.png"), "LeNet-5 on " + c.data().getFileName(), history);
            }
            log.printf(Locale.ROOT, "checkpoints and chart in %s%n", c.out());
            return history;
        }
    }

    /** The learning-rate schedule and the batch order follow these settings: a resumed run repeats the original only with the same ones. */
    private static Map<String, String> runOptions(Config c) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("seed", Long.toString(c.seed()));
        options.put("epochs", Integer.toString(c.epochs()));
        options.put("batch", Integer.toString(c.batchSize()));
        options.put("lr", Double.toString(c.lr()));
        return options;
    }

    static ImageDataset prepare(ImageDataset d) {
        return d.withPadding(2).withNormalization(MnistLike.FASHION_MEAN, MnistLike.FASHION_STD);
    }

    /** Mean cross-entropy and accuracy over the whole loader, without recording a graph. */
    static double[] evaluate(LeNet5 model, DataLoader loader, Device device) {
        model.eval();
        double lossSum = 0, correct = 0;
        long n = 0;
        try (var off = Autograd.noGrad(); DataLoader.Epoch batches = loader.epoch(0, device)) {
            while (batches.hasNext()) {
                try (Batch batch = batches.next(); Scope s = Kiln.scope()) {
                    Tensor logits = model.forward(batch.input());
                    lossSum += Functional.crossEntropy(logits, batch.target(), -100, 0, Reduction.SUM).item();
                    correct += logits.argmax(1).eq(batch.target()).sum().item();
                    n += batch.size();
                }
            }
        }
        model.train(true);
        return new double[] {lossSum / n, correct / n};
    }
}
