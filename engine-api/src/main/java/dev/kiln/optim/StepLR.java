package dev.kiln.optim;

import dev.kiln.KilnException;

/** {@code torch.optim.lr_scheduler.StepLR}: the rate times {@code gamma} every {@code stepSize} steps. */
public final class StepLR extends LrSchedule {
    private final int stepSize;
    private final double gamma;

    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer);
        if (stepSize < 1) throw new KilnException("StepLR: stepSize must be >= 1, got " + stepSize);
        this.stepSize = stepSize;
        this.gamma = gamma;
        start();
    }

    @Override
    public double lrAt(double baseLr, long t) { return baseLr * Math.pow(gamma, t / stepSize); }
}
