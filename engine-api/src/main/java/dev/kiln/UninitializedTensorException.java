package dev.kiln;

/** Reading a tensor that no op has written. */
public class UninitializedTensorException extends KilnException {
    public UninitializedTensorException(String message) { super(message); }
}
