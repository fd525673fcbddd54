package dev.kiln.spi;

/** Elementwise functions of three inputs. */
public enum TernaryOp {
    /** {@code a != 0 ? b : c}; {@code a} may have any dtype, b, c and out share one. */
    WHERE,
    /** {@code min(max(a, b), c)}: clamp a into [b, c]. */
    CLAMP
}
