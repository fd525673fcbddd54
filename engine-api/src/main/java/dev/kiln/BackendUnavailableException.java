package dev.kiln;

/** A backend that was asked for but cannot run here; the message says why. */
public class BackendUnavailableException extends KilnException {
    public BackendUnavailableException(String message) { super(message); }
}
