package dev.kiln.cpu;

import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.UnaryOp;

/** Float64 host definitions of the elementwise ops, written independently of the backend's code. */
final class Reference {
    private Reference() {}

    /** erf by Simpson's rule on 2/sqrt(pi) exp(-t^2) (independent of the series the backend uses). */
    static double erf(double x) {
        if (Double.isNaN(x)) return x;
        if (Math.abs(x) > 6) return Math.signum(x);
        int n = 400;
        double h = x / n, s = 0;
        for (int i = 0; i <= n; i++) {
            double t = i * h, w = (i == 0 || i == n) ? 1 : (i % 2 == 1 ? 4 : 2);
            s += w * Math.exp(-t * t);
        }
        return s * h / 3 * 2 / Math.sqrt(Math.PI);
    }

    static double unary(UnaryOp op, double x) {
        return switch (op) {
            case COPY -> x;
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SIGN -> x > 0 ? 1 : x < 0 ? -1 : x;
            case SQUARE -> x * x;
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
            case RELU -> Double.isNaN(x) ? x : Math.max(x, 0);
            case GELU -> x * 0.5 * (1 + erf(x / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case SILU -> x / (1 + Math.exp(-x));
            case FLOOR -> Math.floor(x);
            case CEIL -> Math.ceil(x);
            case ROUND -> Math.rint(x);
        };
    }

    static double binary(BinaryOp op, double a, double b, boolean integers) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> integers ? Math.floor(a / b) : a / b;
            case MOD -> a - Math.floor(a / b) * b;
            case POW -> Math.pow(a, b);
            case MAXIMUM -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
            case MINIMUM -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b);
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

    /** Inputs on which op is defined and well conditioned. */
    static double[] domain(UnaryOp op, Fixture f, int n) {
        return switch (op) {
            case LOG, SQRT, RSQRT -> f.uniform(n, 0.05, 20);
            case LOG1P -> f.uniform(n, -0.9, 10);
            case RECIPROCAL -> { double[] x = f.uniform(n, 0.25, 4); for (int i = 0; i < n; i += 2) x[i] = -x[i]; yield x; }
            case NOT, SIGN -> f.integers(n, -2, 3);
            case FLOOR, CEIL, ROUND -> { double[] x = f.gaussian(n, 4); for (int i = 0; i < n; i += 5) x[i] = Math.floor(x[i]) + 0.5; yield x; }
            default -> f.gaussian(n, 2);
        };
    }
}
