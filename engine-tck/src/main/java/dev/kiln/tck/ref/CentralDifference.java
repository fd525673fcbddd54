package dev.kiln.tck.ref;

import java.util.function.Function;

/**
 * Gradients by central finite differences of a float64 reference forward: for the loss
 * {@code L(x) = sum(gradOut * f(x))}, {@code dL/dx_i ~ (L(x + h e_i) - L(x - h e_i)) / 2h}.
 */
public final class CentralDifference {
    private CentralDifference() {}

    /** Relative step; scaled by max(1, |x_i|) so large inputs still move. */
    public static final double STEP = 1e-6;

    public static double[] gradient(Function<double[], double[]> f, double[] x, double[] gradOut) {
        double[] at = x.clone();
        double[] grad = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double h = STEP * Math.max(1, Math.abs(x[i]));
            at[i] = x[i] + h;
            double plus = dot(gradOut, f.apply(at));
            at[i] = x[i] - h;
            double minus = dot(gradOut, f.apply(at));
            at[i] = x[i];
            grad[i] = (plus - minus) / (2 * h);
        }
        return grad;
    }

    private static double dot(double[] a, double[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("gradOut has " + a.length + " values, f gives " + b.length);
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
