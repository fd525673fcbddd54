package dev.kiln.models.train;

import dev.kiln.KilnException;

/** A checkpoint that cannot resume the run asked for: missing, of another model, or made on other data. The message names the file. */
public final class CheckpointException extends KilnException {
    public CheckpointException(String message) { super(message); }
}
