package dev.kiln;

/** Shapes that do not fit an op, or an invalid shape. */
public class ShapeException extends KilnException {
    public ShapeException(String message) { super(message); }
}
