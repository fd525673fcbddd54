package dev.kiln.optim;

import dev.kiln.KilnException;

/**
 * {@code torch.optim.lr_scheduler.CosineAnnealingLR} in its closed form:
 * {@code etaMin + (base - etaMin) * (1 + cos(pi * t / tMax)) / 2}, periodic past tMax as PyTorch's.
 */
public final class CosineAnnealingLR extends LrSchedule {
    private final int tMax;
    private final double etaMin;

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        super(optimizer);
        if (tMax < 1) throw new KilnException("CosineAnnealingLR: tMax must be >= 1, got " + tMax);
        this.tMax = tMax;
        this.etaMin = etaMin;
        start();
    }

    @Override
    public double lrAt(double baseLr, long t) { return etaMin + (baseLr - etaMin) * (1 + Math.cos(Math.PI * t / tMax)) / 2; }
}
