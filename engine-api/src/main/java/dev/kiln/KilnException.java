package dev.kiln;

/** Base of every error Kiln throws on purpose. Messages name the op, the shapes and what was expected. */
public class KilnException extends RuntimeException {
    public KilnException(String message) { super(message); }

    public KilnException(String message, Throwable cause) { super(message, cause); }
}
