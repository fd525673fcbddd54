package dev.kiln.cpu;

import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.UnaryOp;

/** Float64 host definitions of the elementwise ops, written independently of the backend's code. */
final class Reference {
    private Reference() {}

    /** The kit's float64 reference (one definition of each function, shared with every backend's tests). */
    static double unary(UnaryOp op, double x) { return dev.kiln.tck.ref.ElementwiseRef.unary(op, x); }

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
