package dev.kiln.optim;

/**
 * A learning-rate schedule driving one optimizer, as {@code torch.optim.lr_scheduler}: call {@link #step()}
 * after each optimizer step (or epoch); the rate at schedule step t is {@link #lrAt(double, long)} of the
 * optimizer's rate when the schedule was made. Schedules compose: {@link LinearWarmup} hands over to
 * another schedule (whose own {@code step()} is then not called).
 */
public abstract class LrSchedule {
    private final Optimizer optimizer;
    private final double baseLr;
    private long t;

    protected LrSchedule(Optimizer optimizer) {
        this.optimizer = optimizer;
        this.baseLr = optimizer.lr();
    }

    /** The rate at step {@code t} (0 = before any step) for the base rate {@code baseLr}. */
    public abstract double lrAt(double baseLr, long t);

    /** Applies the rate of step 0; subclasses call it at the end of their constructor. */
    protected final void start() { optimizer.setLr(lrAt(baseLr, 0)); }

    public final void step() {
        t++;
        optimizer.setLr(lrAt(baseLr, t));
    }

    public final long lastStep() { return t; }

    public final double baseLr() { return baseLr; }

    public final double lastLr() { return optimizer.lr(); }
}
