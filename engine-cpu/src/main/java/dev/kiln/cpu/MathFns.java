package dev.kiln.cpu;

import dev.kiln.KilnException;
import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.UnaryOp;

/**
 * The scalar definitions of every elementwise op, applied to a row in place: floating values in
 * double, integers in long. These are the generic path and the reference the vector kernels match.
 */
final class MathFns {
    private static final double SQRT_HALF = Math.sqrt(0.5);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

    private MathFns() {}

    static void unary(UnaryOp op, double[] x, int n) {
        switch (op) {
            case COPY -> { }
            case NEG -> { for (int i = 0; i < n; i++) x[i] = -x[i]; }
            case ABS -> { for (int i = 0; i < n; i++) x[i] = Math.abs(x[i]); }
            case SIGN -> { for (int i = 0; i < n; i++) x[i] = Math.signum(x[i]); }
            case SQUARE -> { for (int i = 0; i < n; i++) x[i] = x[i] * x[i]; }
            case NOT -> { for (int i = 0; i < n; i++) x[i] = x[i] == 0 ? 1 : 0; }
            case EXP -> { for (int i = 0; i < n; i++) x[i] = Math.exp(x[i]); }
            case LOG -> { for (int i = 0; i < n; i++) x[i] = Math.log(x[i]); }
            case LOG1P -> { for (int i = 0; i < n; i++) x[i] = Math.log1p(x[i]); }
            case EXPM1 -> { for (int i = 0; i < n; i++) x[i] = Math.expm1(x[i]); }
            case SQRT -> { for (int i = 0; i < n; i++) x[i] = Math.sqrt(x[i]); }
            case RSQRT -> { for (int i = 0; i < n; i++) x[i] = 1 / Math.sqrt(x[i]); }
            case RECIPROCAL -> { for (int i = 0; i < n; i++) x[i] = 1 / x[i]; }
            case SIN -> { for (int i = 0; i < n; i++) x[i] = Math.sin(x[i]); }
            case COS -> { for (int i = 0; i < n; i++) x[i] = Math.cos(x[i]); }
            case TANH -> { for (int i = 0; i < n; i++) x[i] = Math.tanh(x[i]); }
            case SIGMOID -> { for (int i = 0; i < n; i++) x[i] = sigmoid(x[i]); }
            case ERF -> { for (int i = 0; i < n; i++) x[i] = erf(x[i]); }
            case RELU -> { for (int i = 0; i < n; i++) x[i] = relu(x[i]); }
            // x * Phi(x) through erfc, and the tanh form through a sigmoid: neither cancels for negative x
            case GELU -> { for (int i = 0; i < n; i++) x[i] = 0.5 * x[i] * dev.kiln.spi.SpecialFunctions.erfc(-x[i] * SQRT_HALF); }
            case GELU_TANH -> {
                for (int i = 0; i < n; i++) {
                    double v = x[i];
                    x[i] = v * sigmoid(2 * SQRT_2_OVER_PI * (v + 0.044715 * v * v * v));
                }
            }
            case SILU -> { for (int i = 0; i < n; i++) x[i] = x[i] * sigmoid(x[i]); }
            case FLOOR -> { for (int i = 0; i < n; i++) x[i] = Math.floor(x[i]); }
            case CEIL -> { for (int i = 0; i < n; i++) x[i] = Math.ceil(x[i]); }
            case ROUND -> { for (int i = 0; i < n; i++) x[i] = Math.rint(x[i]); }
        }
    }

    /** Integer unary ops (the caller has checked {@link UnaryOp#acceptsIntegers()}). */
    static void unary(UnaryOp op, long[] x, int n) {
        switch (op) {
            case COPY -> { }
            case NEG -> { for (int i = 0; i < n; i++) x[i] = -x[i]; }
            case ABS -> { for (int i = 0; i < n; i++) x[i] = Math.abs(x[i]); }
            case SIGN -> { for (int i = 0; i < n; i++) x[i] = Long.signum(x[i]); }
            case SQUARE -> { for (int i = 0; i < n; i++) x[i] = x[i] * x[i]; }
            case NOT -> { for (int i = 0; i < n; i++) x[i] = x[i] == 0 ? 1 : 0; }
            default -> throw new IllegalStateException(op + " on integers");
        }
    }

    /** {@code a = op(a, b)} on floating values. */
    static void binary(BinaryOp op, double[] a, double[] b, int n) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) a[i] += b[i]; }
            case SUB -> { for (int i = 0; i < n; i++) a[i] -= b[i]; }
            case MUL -> { for (int i = 0; i < n; i++) a[i] *= b[i]; }
            case DIV -> { for (int i = 0; i < n; i++) a[i] /= b[i]; }
            case MOD -> { for (int i = 0; i < n; i++) a[i] = a[i] - Math.floor(a[i] / b[i]) * b[i]; }
            case POW -> { for (int i = 0; i < n; i++) a[i] = Math.pow(a[i], b[i]); }
            case MAXIMUM -> { for (int i = 0; i < n; i++) a[i] = Math.max(a[i], b[i]); }
            case MINIMUM -> { for (int i = 0; i < n; i++) a[i] = Math.min(a[i], b[i]); }
            case EQ -> { for (int i = 0; i < n; i++) a[i] = a[i] == b[i] ? 1 : 0; }
            case NE -> { for (int i = 0; i < n; i++) a[i] = a[i] != b[i] ? 1 : 0; }
            case LT -> { for (int i = 0; i < n; i++) a[i] = a[i] < b[i] ? 1 : 0; }
            case LE -> { for (int i = 0; i < n; i++) a[i] = a[i] <= b[i] ? 1 : 0; }
            case GT -> { for (int i = 0; i < n; i++) a[i] = a[i] > b[i] ? 1 : 0; }
            case GE -> { for (int i = 0; i < n; i++) a[i] = a[i] >= b[i] ? 1 : 0; }
            case AND -> { for (int i = 0; i < n; i++) a[i] = a[i] != 0 && b[i] != 0 ? 1 : 0; }
            case OR -> { for (int i = 0; i < n; i++) a[i] = a[i] != 0 || b[i] != 0 ? 1 : 0; }
        }
    }

    /** {@code a = op(a, b)} on integers; DIV and MOD floor, as Python's {@code //} and {@code %}. */
    static void binary(BinaryOp op, long[] a, long[] b, int n) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) a[i] += b[i]; }
            case SUB -> { for (int i = 0; i < n; i++) a[i] -= b[i]; }
            case MUL -> { for (int i = 0; i < n; i++) a[i] *= b[i]; }
            case DIV -> { for (int i = 0; i < n; i++) a[i] = Math.floorDiv(a[i], nonZero("DIV", b[i])); }
            case MOD -> { for (int i = 0; i < n; i++) a[i] = Math.floorMod(a[i], nonZero("MOD", b[i])); }
            case MAXIMUM -> { for (int i = 0; i < n; i++) a[i] = Math.max(a[i], b[i]); }
            case MINIMUM -> { for (int i = 0; i < n; i++) a[i] = Math.min(a[i], b[i]); }
            case EQ -> { for (int i = 0; i < n; i++) a[i] = a[i] == b[i] ? 1 : 0; }
            case NE -> { for (int i = 0; i < n; i++) a[i] = a[i] != b[i] ? 1 : 0; }
            case LT -> { for (int i = 0; i < n; i++) a[i] = a[i] < b[i] ? 1 : 0; }
            case LE -> { for (int i = 0; i < n; i++) a[i] = a[i] <= b[i] ? 1 : 0; }
            case GT -> { for (int i = 0; i < n; i++) a[i] = a[i] > b[i] ? 1 : 0; }
            case GE -> { for (int i = 0; i < n; i++) a[i] = a[i] >= b[i] ? 1 : 0; }
            case AND -> { for (int i = 0; i < n; i++) a[i] = a[i] != 0 && b[i] != 0 ? 1 : 0; }
            case OR -> { for (int i = 0; i < n; i++) a[i] = a[i] != 0 || b[i] != 0 ? 1 : 0; }
            case POW -> throw new IllegalStateException("POW on integers");
        }
    }

    private static long nonZero(String op, long b) {
        if (b == 0) throw new KilnException("binary " + op + ": integer division by zero");
        return b;
    }

    static double relu(double x) { return x > 0 || Double.isNaN(x) ? x : 0; }

    static double sigmoid(double x) {
        // Split by sign so exp never overflows into inf/inf.
        if (x >= 0) return 1 / (1 + Math.exp(-x));
        double e = Math.exp(x);
        return e / (1 + e);
    }

    /**
     * The error function to double precision: for |x| < 3 the all-positive series
     * erf(x) = 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1)) (no cancellation); above,
     * the continued fraction of erfc; beyond 6, erf is 1 to double precision.
     */
    static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        double r;
        if (ax < 3) {
            double x2 = ax * ax, term = ax, sum = ax;
            for (int k = 1; k < 200 && term > sum * 1e-17; k++) {
                term *= 2 * x2 / (2 * k + 1);
                sum += term;
            }
            r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
        } else if (ax < 6) {
            double f = ax;
            for (int k = 60; k >= 1; k--) f = ax + (k * 0.5) / f;
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        } else {
            r = 1;
        }
        return x < 0 ? -r : r;
    }
}
