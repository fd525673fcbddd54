package dev.kiln.models.train;

import dev.kiln.KilnException;

/** Training stopped because the loss or a parameter's gradient stopped being finite. */
public final class NonFiniteException extends KilnException {
    private final long step;
    private final String parameter;

    NonFiniteException(long step, String parameter, String message) {
        super(message);
        this.step = step;
        this.parameter = parameter;
    }

    /** The optimizer step (1-based, counted over the whole run) whose loss or gradient went non-finite. */
    public long step() { return step; }

    /** The parameter whose gradient went non-finite, or null when the loss itself did. */
    public String parameter() { return parameter; }
}
