package dev.kiln.io;

import dev.kiln.KilnException;

/** A safetensors file that cannot be read or does not fit: the message names the file and the key. */
public class SafeTensorsException extends KilnException {
    public SafeTensorsException(String message) { super(message); }

    public SafeTensorsException(String message, Throwable cause) { super(message, cause); }
}
