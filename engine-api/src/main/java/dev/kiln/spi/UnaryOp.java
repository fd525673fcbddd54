package dev.kiln.spi;

/**
 * Elementwise functions of one input. Floating inputs compute in at least float32; integer inputs
 * compute in 64-bit integers (only COPY, NEG, ABS, SIGN, SQUARE and NOT accept them). The result is
 * converted to the output's dtype, so COPY between dtypes is a cast (float to integer truncates
 * toward zero, as C and Java do).
 */
public enum UnaryOp {
    COPY, NEG, ABS, SIGN, SQUARE, NOT,
    EXP, LOG, LOG1P, EXPM1, SQRT, RSQRT, RECIPROCAL,
    SIN, COS, TANH, SIGMOID, ERF,
    RELU,
    /** x * Phi(x) with the exact normal CDF, as {@code torch.nn.GELU()}. */
    GELU,
    /** The tanh approximation, as {@code torch.nn.GELU(approximate='tanh')}. */
    GELU_TANH,
    /** x * sigmoid(x). */
    SILU,
    FLOOR, CEIL,
    /** Round half to even, as {@code torch.round}. */
    ROUND;

    /** True for the ops defined on integer inputs. */
    public boolean acceptsIntegers() {
        return switch (this) {
            case COPY, NEG, ABS, SIGN, SQUARE, NOT -> true;
            default -> false;
        };
    }
}
