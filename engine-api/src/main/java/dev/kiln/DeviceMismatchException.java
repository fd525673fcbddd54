package dev.kiln;

/** Tensors of two devices given to one op. */
public class DeviceMismatchException extends KilnException {
    public DeviceMismatchException(String message) { super(message); }
}
