package dev.kiln.models.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Per-epoch results of one run; stored in checkpoints so a resumed run's chart shows every epoch. */
final class History {
    /** One epoch: mean training loss, evaluation loss and accuracy (NaN where not measured), wall seconds. */
    record Epoch(int epoch, double trainLoss, double testLoss, double testAccuracy, double seconds) {}

    private final List<Epoch> epochs = new ArrayList<>();

    void add(Epoch e) { epochs.add(e); }

    List<Epoch> epochs() { return List.copyOf(epochs); }

    double totalSeconds() { return epochs.stream().mapToDouble(Epoch::seconds).sum(); }

    /** One line per epoch, comma-separated, for a checkpoint's metadata. */
    String encode() {
        StringBuilder sb = new StringBuilder();
        for (Epoch e : epochs) {
            sb.append(String.format(Locale.ROOT, "%d,%s,%s,%s,%s;", e.epoch, e.trainLoss, e.testLoss, e.testAccuracy, e.seconds));
        }
        return sb.toString();
    }

    static History decode(String s) {
        History h = new History();
        if (s == null || s.isBlank()) return h;
        for (String line : s.split(";")) {
            if (line.isBlank()) continue;
            String[] f = line.split(",");
            h.add(new Epoch(Integer.parseInt(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]),
                    Double.parseDouble(f[4])));
        }
        return h;
    }
}
