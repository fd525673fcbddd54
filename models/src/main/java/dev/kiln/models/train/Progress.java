package dev.kiln.models.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Training progress: on a terminal, one bar redrawn in place (epoch, batch, loss, examples/s, time
 * left); elsewhere (a pipe, a CI log) a plain line every {@code plainEvery} batches and at the end.
 */
final class Progress {
    private static final int BAR = 24;
    private final PrintStream out;
    private final boolean tty;
    private final int plainEvery;
    private final int epochs, batches;
    private final String metric;
    private long epochStart;
    private long redrawn;
    private double smoothedLoss = Double.NaN;

    /** {@code metric} names the per-batch value shown (e.g. "loss", "bits/char"); it is smoothed over recent batches. */
    Progress(PrintStream out, boolean tty, int epochs, int batches, String metric) {
        this.out = out;
        this.metric = metric;
        this.tty = tty;
        this.epochs = epochs;
        this.batches = batches;
        this.plainEvery = Math.max(1, batches / 10);
    }

    /** A terminal, unless CI says otherwise or TERM is dumb. */
    static boolean isTerminal() {
        var console = System.console();
        return console != null && console.isTerminal() && System.getenv("CI") == null && !"dumb".equals(System.getenv("TERM"));
    }

    void startEpoch() {
        epochStart = System.nanoTime();
        smoothedLoss = Double.NaN;
    }

    /** After batch {@code done} (1-based) of epoch {@code epoch} (1-based) with {@code examples} seen this epoch. */
    void batch(int epoch, int done, double loss, long examples) {
        smoothedLoss = Double.isNaN(smoothedLoss) ? loss : 0.9 * smoothedLoss + 0.1 * loss;
        long now = System.nanoTime();
        double seconds = (now - epochStart) / 1e9;
        double rate = examples / Math.max(seconds, 1e-9);
        double left = seconds / done * (batches - done);
        boolean last = done == batches;
        if (tty) {
            if (!last && now - redrawn < 100_000_000L) return; // ten redraws a second are plenty
            redrawn = now;
            int filled = (int) ((long) BAR * done / batches);
            out.print(String.format(Locale.ROOT, "\repoch %d/%d [%s%s] %d/%d %s %.4f  %.0f ex/s  %s left ",
                    epoch, epochs, "#".repeat(filled), ".".repeat(BAR - filled), done, batches, metric, smoothedLoss, rate, clock(left)));
            if (last) out.println();
            out.flush();
        } else if (done % plainEvery == 0 || last) {
            out.println(String.format(Locale.ROOT, "epoch %d/%d batch %d/%d %s %.4f %.0f ex/s %s left",
                    epoch, epochs, done, batches, metric, smoothedLoss, rate, clock(left)));
        }
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
