package dev.kiln.cpu;

import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.UnaryOp;

/** Float64 host definitions of the elementwise ops, written independently of the backend's code. */
final class Reference {
    private Reference() {}

    /** The kit's float64 reference (one definition of each function, shared with every backend's tests). */
    static double unary(UnaryOp op, double x) { return dev.kiln.tck.ref.ElementwiseRef.unary(op, x); }

    /** The kit's float64 reference; on integers DIV is floor division (the kit's MOD is already floor modulo). */
    static double binary(BinaryOp op, double a, double b, boolean integers) {
        return integers && op == BinaryOp.DIV ? Math.floor(a / b) : dev.kiln.tck.ref.ElementwiseRef.binary(op, a, b);
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
