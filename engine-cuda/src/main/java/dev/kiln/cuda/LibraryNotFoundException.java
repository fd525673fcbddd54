package dev.kiln.cuda;

import dev.kiln.KilnException;

/** A native library that none of the searched places holds; the message lists the sonames and places. */
public final class LibraryNotFoundException extends KilnException {
    public LibraryNotFoundException(String message) { super(message); }
}
