package dev.kiln;

/** An element type an op does not accept. */
public class DTypeException extends KilnException {
    public DTypeException(String message) { super(message); }
}
