package dev.kiln.nn;

import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Tensor;

/**
 * The initializers of {@code torch.nn.init}, drawn from a {@link Generator} so that the same seed
 * gives the same model on every backend.
 */
public final class Init {
    private Init() {}

    /** U(-bound, bound). */
    public static Tensor uniform(Device d, Generator g, double bound, int... shape) {
        try (Tensor u = d.rand(g, shape); Tensor scaled = u.mul(2 * bound)) {
            return scaled.sub(bound);
        }
    }

    /** N(0, std^2). */
    public static Tensor normal(Device d, Generator g, double std, int... shape) {
        try (Tensor n = d.randn(g, shape)) {
            return n.mul(std);
        }
    }

    /**
     * N(0, std^2) truncated to [-2 std, 2 std], as {@code torch.nn.init.trunc_normal_(std=std, a=-2std, b=2std)}:
     * inverse-CDF sampling of Philox uniforms, computed on the host and uploaded.
     */
    public static Tensor truncatedNormal(Device d, Generator g, double std, int... shape) {
        long n = dev.kiln.Shape.of(shape).numel();
        long offset = g.reserve(dev.kiln.spi.Distribution.UNIFORM, n);
        double lo = normalCdf(-2), hi = normalCdf(2);
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            double u = lo + (hi - lo) * dev.kiln.spi.Philox.uniform(g.seed(), offset, i);
            v[i] = (float) (std * Math.clamp(inverseNormalCdf(u), -2, 2));
        }
        return d.fromArray(v, shape);
    }

    static double normalCdf(double x) { return 0.5 * (1 + dev.kiln.spi.SpecialFunctions.erf(x / Math.sqrt(2))); }

    /** Acklam's rational approximation refined by one Halley step: accurate to about 1e-15 in the central range. */
    static double inverseNormalCdf(double p) {
        if (p <= 0) return Double.NEGATIVE_INFINITY;
        if (p >= 1) return Double.POSITIVE_INFINITY;
        double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
                -3.066479806614716e+01, 2.506628277459239e+00};
        double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
                -1.328068155288572e+01};
        double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
                4.374664141464968e+00, 2.938163982698783e+00};
        double[] e = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
        double x;
        if (p < 0.02425 || p > 1 - 0.02425) {
            double q = Math.sqrt(-2 * Math.log(Math.min(p, 1 - p)));
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((e[0] * q + e[1]) * q + e[2]) * q + e[3]) * q + 1);
            if (p > 0.5) x = -x;
        } else {
            double q = p - 0.5, r = q * q;
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                    / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
        }
        double err = normalCdf(x) - p;
        double u = err * Math.sqrt(2 * Math.PI) * Math.exp(x * x / 2);
        return x - u / (1 + x * u / 2);
    }

    /** fan_in of a Linear [out, in] or Conv [out, in/groups, kh, kw] weight. */
    public static int fanIn(int... shape) {
        int f = shape.length > 1 ? shape[1] : shape[0];
        for (int i = 2; i < shape.length; i++) f *= shape[i];
        return f;
    }

    public static int fanOut(int... shape) {
        int f = shape[0];
        for (int i = 2; i < shape.length; i++) f *= shape[i];
        return f;
    }

    /** PyTorch's default for Linear and Conv weights: kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
    public static Tensor defaultWeight(Device d, Generator g, int... shape) {
        return uniform(d, g, 1 / Math.sqrt(fanIn(shape)), shape);
    }

    /** PyTorch's default bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with the weight's fan_in. */
    public static Tensor defaultBias(Device d, Generator g, int fanIn, int size) {
        return uniform(d, g, 1 / Math.sqrt(fanIn), size);
    }

    /** kaiming_normal_(mode='fan_out', nonlinearity='relu'): N(0, 2/fan_out), torchvision's ResNet and VGG conv init. */
    public static Tensor kaimingNormalFanOut(Device d, Generator g, int... shape) {
        return normal(d, g, Math.sqrt(2.0 / fanOut(shape)), shape);
    }
}
