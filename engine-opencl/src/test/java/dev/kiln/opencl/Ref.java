package dev.kiln.opencl;

import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.UnaryOp;

/** Float64 host references of the elementwise ops. */
final class Ref {
    private Ref() {}

    /** erf by its Taylor series: accurate to ~1e-12 on [-4, 4], the range the tests draw from. */
    static double erf(double x) {
        if (Math.abs(x) > 4) return Math.signum(x) * (1 - 1e-8);
        double term = x, sum = x;
        for (int n = 1; n < 200; n++) {
            term *= -x * x / n;
            double t = term / (2 * n + 1);
            sum += t;
            if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    static double unary(UnaryOp op, double x, boolean floating) {
        return switch (op) {
            case COPY -> x;
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SIGN -> Math.signum(x);
            case SQUARE -> floating ? x * x : (double) ((long) x * (long) x);
            case NOT -> x == 0 ? 1 : 0;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case LOG1P -> Math.log1p(x);
            case EXPM1 -> Math.expm1(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1 / Math.sqrt(x);
            case RECIPROCAL -> 1 / x;
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case ERF -> erf(x);
            case RELU -> x < 0 ? 0 : x;
            case GELU -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case SILU -> x / (1 + Math.exp(-x));
            case FLOOR -> Math.floor(x);
            case CEIL -> Math.ceil(x);
            case ROUND -> Math.rint(x);
        };
    }

    static double binary(BinaryOp op, double a, double b, boolean floating) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> floating ? a / b : Math.floorDiv((long) a, (long) b);
            case MOD -> floating ? a - Math.floor(a / b) * b : Math.floorMod((long) a, (long) b);
            case POW -> Math.pow(a, b);
            case MAXIMUM -> Math.max(a, b);
            case MINIMUM -> Math.min(a, b);
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
            case AND -> a != 0 && b != 0 ? 1 : 0;
            case OR -> a != 0 || b != 0 ? 1 : 0;
        };
    }
}
