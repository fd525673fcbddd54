package dev.kiln.cpu;

import static dev.kiln.cpu.CpuFastPaths.floats;
import static dev.kiln.cpu.CpuFastPaths.off;
import static dev.kiln.cpu.CpuFastPaths.seg;
import static dev.kiln.cpu.Elem.F;

import dev.kiln.DType;
import dev.kiln.LrnParams;
import dev.kiln.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Softmax, batch-norm inference and LRN as direct loops, each element's arithmetic in a fixed order
 * (exponentials and powers through {@link Math}, sums in double), parallel over independent rows,
 * channels or images. A tensor is seen as [outer, len, inner] around the axis an op works along.
 */
final class Normalization {
    private Normalization() {}

    private static final long GRAIN = 8192;

    /** softmax (or log-softmax) along {@code axis}: one pass for the maximum, one for the sum, one to write. */
    static Tensor softmax(Tensor x, int axis, boolean log) {
        int[] dims = x.shape().dims();
        int len = dims[axis];
        long inner = 1;
        for (int d = axis + 1; d < dims.length; d++) inner *= dims[d];
        long outer = x.numel() / ((long) len * inner);
        Tensor out = x.device().empty(DType.F32, dims);
        MemorySegment xs = seg(x), os = seg(out);
        long xo = off(x), oo = off(out), in = inner;
        Parallel.forRange(outer * inner, Math.max(1, GRAIN / Math.max(1, len)), Math.max(1, GRAIN / Math.max(1, len)), (s, e) -> {
            float[] row = new float[len];
            for (long r = s; r < e; r++) {
                long base = (r / in) * len * in + r % in;
                for (int i = 0; i < len; i++) row[i] = xs.getAtIndex(F, xo + base + i * in);
                float m = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < len; i++) if (row[i] > m || row[i] != row[i]) m = row[i];
                double sum = 0;
                for (int i = 0; i < len; i++) sum += (float) Math.exp(row[i] - m);
                float total = (float) sum, logTotal = (float) Math.log(total);
                for (int i = 0; i < len; i++) {
                    float shifted = row[i] - m;
                    float v = log ? shifted - logTotal : (float) Math.exp(shifted) / total;
                    os.setAtIndex(F, oo + base + i * in, v);
                }
            }
        });
        return out.markWritten();
    }

    /** out = (x - mean) * rsqrt(var + eps) * weight + bias per channel of x [N, C, ...]. */
    static Tensor batchNormInference(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double eps) {
        int n = x.dim(0), c = x.dim(1);
        long spatial = x.numel() / Math.max(1, (long) n * c);
        float[] mean = floats(runningMean), var = floats(runningVar), w = floats(weight), b = floats(bias);
        float[] scale = new float[c];
        for (int ch = 0; ch < c; ch++) scale[ch] = (float) (1 / Math.sqrt((float) (var[ch] + eps)));
        Tensor out = x.device().empty(DType.F32, x.shape().dims());
        MemorySegment xs = seg(x), os = seg(out);
        long xo = off(x), oo = off(out);
        Parallel.forRange((long) n * c, Math.max(1, GRAIN / Math.max(1, spatial)), Math.max(1, GRAIN / Math.max(1, spatial)), (s, e) -> {
            for (long plane = s; plane < e; plane++) {
                int ch = (int) (plane % c);
                float mu = mean[ch], r = scale[ch], wc = w == null ? 1f : w[ch], bc = b == null ? 0f : b[ch];
                long at = plane * spatial;
                for (long i = 0; i < spatial; i++) {
                    float v = (xs.getAtIndex(F, xo + at + i) - mu) * r;
                    if (w != null) v *= wc;
                    if (b != null) v += bc;
                    os.setAtIndex(F, oo + at + i, v);
                }
            }
        });
        return out.markWritten();
    }

    /** out = x / (k + alpha / size * sum of x^2 over the channel window)^beta, for x [N, C, ...]. */
    static Tensor lrn(Tensor x, LrnParams p) {
        int n = x.dim(0), c = x.dim(1);
        long spatial = x.numel() / Math.max(1, (long) n * c);
        int before = p.size() / 2, after = (p.size() - 1) / 2;
        double scale = p.alpha() / p.size();
        Tensor out = x.device().empty(DType.F32, x.shape().dims());
        if (out.numel() == 0) return out.markWritten();
        MemorySegment xs = seg(x), os = seg(out);
        long xo = off(x), oo = off(out);
        // one task per (image, block of spatial positions); the channel window is walked per position
        long blocks = (spatial + 255) / 256;
        Parallel.forRange(n * blocks, 2, 1, (s, e) -> {
            float[] col = new float[c];
            for (long t = s; t < e; t++) {
                long image = t / blocks, p0 = (t % blocks) * 256, p1 = Math.min(spatial, p0 + 256);
                long base = image * c * spatial;
                for (long pos = p0; pos < p1; pos++) {
                    for (int ch = 0; ch < c; ch++) col[ch] = xs.getAtIndex(F, xo + base + ch * spatial + pos);
                    for (int ch = 0; ch < c; ch++) {
                        double sum = 0;
                        for (int q = Math.max(0, ch - before); q <= Math.min(c - 1, ch + after); q++) sum += (double) col[q] * col[q];
                        double denom = Math.pow(p.k() + scale * sum, p.beta());
                        os.setAtIndex(F, oo + base + ch * spatial + pos, (float) (col[ch] / denom));
                    }
                }
            }
        });
        return out.markWritten();
    }
}
