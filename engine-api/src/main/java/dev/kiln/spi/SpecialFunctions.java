package dev.kiln.spi;

/** Math the JDK lacks, accurate to double precision, for host references and CPU kernels. */
public final class SpecialFunctions {
    private SpecialFunctions() {}

    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

    /** The error function, relative error below 1e-14: Taylor series near 0, continued fraction for erfc beyond. */
    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double a = Math.abs(x);
        if (a < 2.5) {
            double term = a, sum = a, x2 = a * a;
            for (int n = 1; n < 100; n++) {
                term *= -x2 / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
            }
            return Math.copySign(TWO_OVER_SQRT_PI * sum, x);
        }
        if (a > 6) return Math.copySign(1.0, x);
        // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + 1/2/(a + 1/(a + 3/2/(a + ...)))), evaluated bottom-up
        double f = a;
        for (int k = 60; k >= 1; k--) f = a + (k / 2.0) / f;
        double erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
        return Math.copySign(1 - erfc, x);
    }

    /** The complementary error function 1 - erf(x), accurate relative to its own (tiny) value for large x. */
    public static double erfc(double x) {
        if (Double.isNaN(x)) return x;
        if (x < 0) return 2 - erfc(-x);
        if (x < 2.5) return 1 - erf(x);
        if (x > 27) return 0;
        double f = x;
        for (int k = 60; k >= 1; k--) f = x + (k / 2.0) / f;
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }

    /** GELU with the exact normal CDF, as x * Phi(x) = x/2 * erfc(-x/sqrt 2): no cancellation for negative x. */
    public static double gelu(double x) { return 0.5 * x * erfc(-x / Math.sqrt(2)); }

    /** GELU's tanh approximation, as x * sigmoid(2u) (= x/2 * (1 + tanh u)) so that negative x does not cancel. */
    public static double geluTanh(double x) {
        return x * sigmoid(2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x));
    }

    public static double sigmoid(double x) { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); }
}
