package dev.kiln.optim;

import dev.kiln.KilnException;

/**
 * Linear warm-up ({@code torch.optim.lr_scheduler.LinearLR} from {@code startFactor} to 1 over {@code warmupSteps}),
 * then {@code after} counted from the end of the warm-up (as {@code SequentialLR}), or the base rate when null.
 */
public final class LinearWarmup extends LrSchedule {
    private final int warmupSteps;
    private final double startFactor;
    private final LrSchedule after;

    public LinearWarmup(Optimizer optimizer, int warmupSteps, double startFactor, LrSchedule after) {
        super(optimizer);
        if (warmupSteps < 1) throw new KilnException("LinearWarmup: warmupSteps must be >= 1, got " + warmupSteps);
        if (!(startFactor > 0 && startFactor <= 1)) throw new KilnException("LinearWarmup: startFactor must be in (0, 1], got " + startFactor);
        this.warmupSteps = warmupSteps;
        this.startFactor = startFactor;
        this.after = after;
        start();
    }

    @Override
    public double lrAt(double baseLr, long t) {
        if (t < warmupSteps) return baseLr * (startFactor + (1 - startFactor) * t / warmupSteps);
        return after == null ? baseLr : after.lrAt(baseLr, t - warmupSteps);
    }
}
