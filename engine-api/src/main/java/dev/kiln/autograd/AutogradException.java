package dev.kiln.autograd;

import dev.kiln.KilnException;

/** A misuse of autograd: backward from a non-scalar without a gradient, from a tensor that needs no grad, through a freed graph. */
public class AutogradException extends KilnException {
    public AutogradException(String message) { super(message); }
}
