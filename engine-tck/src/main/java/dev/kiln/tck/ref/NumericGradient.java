package dev.kiln.tck.ref;

import java.util.function.Supplier;

/**
 * Gradients by central finite differences of a float64 reference forward: for the loss
 * {@code L = sum(weights * f())}, {@code dL/dx_i ~ (L(x + h e_i) - L(x - h e_i)) / 2h}, perturbing
 * the array {@code x} in place (and restoring it), so one call covers any input of a multi-input f.
 */
public final class NumericGradient {
    private NumericGradient() {}

    /** Relative step, scaled by max(1, |x_i|). */
    public static final double STEP = 1e-6;

    public static double[] of(Supplier<double[]> f, double[] x, double[] weights) {
        double[] grad = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double keep = x[i], h = STEP * Math.max(1, Math.abs(keep));
            x[i] = keep + h;
            double plus = dot(weights, f.get());
            x[i] = keep - h;
            double minus = dot(weights, f.get());
            x[i] = keep;
            grad[i] = (plus - minus) / (2 * h);
        }
        return grad;
    }

    private static double dot(double[] a, double[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("weights have " + a.length + " values, f gives " + b.length);
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
