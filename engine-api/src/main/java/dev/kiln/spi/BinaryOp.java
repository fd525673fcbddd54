package dev.kiln.spi;

/**
 * Elementwise functions of two inputs of the same dtype. Comparisons and logic produce 1 or 0 in the
 * output's dtype. On integers DIV and MOD are floor division and floor modulo (Python's {@code //}
 * and {@code %}); on floats DIV is true division and MOD is {@code a - floor(a / b) * b}.
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MOD, POW, MAXIMUM, MINIMUM,
    EQ, NE, LT, LE, GT, GE,
    /** Logical and/or: nonzero is true. */
    AND, OR;

    public boolean isComparison() {
        return switch (this) {
            case EQ, NE, LT, LE, GT, GE, AND, OR -> true;
            default -> false;
        };
    }

    /** POW is the one op defined on floats only. */
    public boolean acceptsIntegers() { return this != POW; }
}
