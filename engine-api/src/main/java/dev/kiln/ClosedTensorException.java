package dev.kiln;

/** Use of a tensor after it was closed. */
public class ClosedTensorException extends KilnException {
    public ClosedTensorException(String message) { super(message); }
}
