package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.DType;

/** Relative-error comparison against a float64 reference; NaN passes only where the reference is NaN. */
final class Compare {
    private Compare() {}

    /** Tolerance of ||out - ref|| / ||ref|| for results stored in {@code dtype}. */
    static double tolerance(DType dtype) {
        return switch (dtype) {
            case F32 -> 2e-6;
            case F16 -> 1e-3;
            case BF16 -> 8e-3;
            case I32, I64 -> 0;
        };
    }

    /** For sums that may cancel: the L2 error against {@code scale}, the same sum over absolute values of its terms. */
    static void closeToScale(String what, double[] ref, double[] scale, double[] out, double tol) {
        if (ref.length != out.length) fail(what + ": " + out.length + " values, expected " + ref.length);
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            if (!Double.isFinite(out[i])) fail(what + ": element " + i + " is " + out[i] + ", expected " + ref[i]);
            double e = out[i] - ref[i];
            num += e * e;
            den += scale[i] * scale[i];
        }
        double rel = Math.sqrt(num / Math.max(den, 1e-300));
        if (!(rel <= tol)) fail(what + ": error " + rel + " of the terms' scale, above " + tol);
    }

    static void close(String what, double[] ref, double[] out, double tol) {
        if (ref.length != out.length) fail(what + ": " + out.length + " values, expected " + ref.length);
        double num = 0, den = 0;
        int worst = -1;
        double worstErr = -1;
        for (int i = 0; i < ref.length; i++) {
            boolean rn = Double.isNaN(ref[i]), on = Double.isNaN(out[i]);
            if (rn || on) {
                if (rn != on) fail(what + ": element " + i + " is " + out[i] + ", expected " + ref[i]);
                continue;
            }
            if (Double.isInfinite(ref[i]) || Double.isInfinite(out[i])) {
                if (ref[i] != out[i]) fail(what + ": element " + i + " is " + out[i] + ", expected " + ref[i]);
                continue;
            }
            double e = out[i] - ref[i];
            num += e * e;
            den += ref[i] * ref[i];
            if (Math.abs(e) > worstErr) { worstErr = Math.abs(e); worst = i; }
        }
        double rel = den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
        if (!(rel <= tol)) {
            fail(what + ": relative error " + rel + " above " + tol + "; worst element " + worst + " is "
                    + out[worst] + ", expected " + ref[worst]);
        }
    }

    static void exact(String what, double[] ref, double[] out) {
        for (int i = 0; i < ref.length; i++) {
            if (Double.compare(ref[i], out[i]) != 0 && !(ref[i] == 0 && out[i] == 0)) {
                fail(what + ": element " + i + " is " + out[i] + ", expected " + ref[i]);
            }
        }
    }
}
