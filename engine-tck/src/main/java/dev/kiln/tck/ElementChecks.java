package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.fail;

/** Per-element comparisons, for special values where one wrong element must not hide in an L2 norm. */
final class ElementChecks {
    private ElementChecks() {}

    /**
     * Each element within {@code tol * max(1, |expected|)}; NaN only where NaN is expected, infinities
     * exactly, and the sign of zero when {@code signedZero}.
     */
    static void assertEach(String what, double[] expected, double[] actual, double tol, boolean signedZero, String seedNote) {
        if (expected.length != actual.length) fail(what + ": " + actual.length + " elements, expected " + expected.length + " (" + seedNote + ")");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            boolean ok;
            if (Double.isNaN(e) || Double.isNaN(a)) ok = Double.isNaN(e) && Double.isNaN(a);
            else if (Double.isInfinite(e) || Double.isInfinite(a)) ok = e == a;
            else if (signedZero && e == 0) ok = a == 0 && Math.copySign(1, a) == Math.copySign(1, e);
            else ok = Math.abs(a - e) <= tol * Math.max(1, Math.abs(e));
            if (!ok) fail(what + ": element " + i + " is " + a + ", expected " + e + " (" + seedNote + ")");
        }
    }

    /**
     * {@code ||actual - expected|| / ||scale|| <= tol}, for results that may cancel to near zero (sums,
     * dot products): {@code scale} is the same computation on absolute values, the quantity
     * floating-point error is proportional to. NaN or infinity where the reference is finite fails.
     */
    static void assertScaled(String what, double[] expected, double[] scale, float[] actual, double tol, String seedNote) {
        if (expected.length != actual.length) fail(what + ": " + actual.length + " elements, expected " + expected.length + " (" + seedNote + ")");
        double num = 0, den = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(e) != Double.isNaN(a) || Double.isInfinite(e) != Double.isInfinite(a) || (Double.isInfinite(e) && e != a)) {
                fail(what + ": element " + i + " is " + a + ", expected " + e + " (" + seedNote + ")");
            }
            if (!Double.isFinite(e)) continue;
            num += (a - e) * (a - e);
            den += scale[i] * scale[i];
        }
        double rel = den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
        if (!(rel <= tol)) fail(String.format("%s: error %.3g relative to the magnitude of the terms > %.3g (%s)", what, rel, tol, seedNote));
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
