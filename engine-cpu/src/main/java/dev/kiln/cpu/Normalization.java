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

    /**
     * The input gradient of softmax (given y = softmax(x): {@code y * (g - sum(g * y))}) or of
     * log-softmax (given y = logSoftmax(x): {@code g - exp(y) * sum(g)}), row by row along the axis.
     */
    static Tensor softmaxBackward(Tensor gradOut, Tensor out, int axis, boolean log) {
        int[] dims = out.shape().dims();
        int len = dims[axis];
        long inner = 1;
        for (int d = axis + 1; d < dims.length; d++) inner *= dims[d];
        long outer = out.numel() / ((long) len * inner);
        Tensor dx = out.device().empty(DType.F32, dims);
        MemorySegment gs = seg(gradOut), ys = seg(out), ds = seg(dx);
        long go = off(gradOut), yo = off(out), dof = off(dx), in = inner;
        long grain = Math.max(1, GRAIN / Math.max(1, len));
        Parallel.forRange(outer * inner, grain, grain, (s, e) -> {
            for (long r = s; r < e; r++) {
                long base = (r / in) * len * in + r % in;
                double total = 0;
                for (int i = 0; i < len; i++) {
                    float g = gs.getAtIndex(F, go + base + i * in);
                    total += log ? g : g * ys.getAtIndex(F, yo + base + i * in);
                }
                float t = (float) total;
                for (int i = 0; i < len; i++) {
                    float g = gs.getAtIndex(F, go + base + i * in), y = ys.getAtIndex(F, yo + base + i * in);
                    ds.setAtIndex(F, dof + base + i * in, log ? g - (float) Math.exp(y) * t : y * (g - t));
                }
            }
        });
        return dx.markWritten();
    }

    /**
     * Layer norm over the trailing {@code len} elements of each row: mean and variance in double,
     * {@code (x - mean) * rstd * weight + bias}; mean and rstd keep x's rank with the normalized axes 1.
     */
    static dev.kiln.NormResult layerNorm(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps) {
        int[] dims = x.shape().dims(), statDims = dims.clone();
        long len = 1;
        for (int d = dims.length - normalizedDims; d < dims.length; d++) {
            len *= dims[d];
            statDims[d] = 1;
        }
        long rows = len == 0 ? 0 : x.numel() / len;
        float[] w = floats(weight), b = floats(bias);
        Tensor out = x.device().empty(DType.F32, dims), mean = x.device().empty(DType.F32, statDims), rstd = x.device().empty(DType.F32, statDims);
        MemorySegment xs = seg(x), os = seg(out), ms = seg(mean), rs = seg(rstd);
        long xo = off(x), oo = off(out), mo = off(mean), ro = off(rstd), n = len;
        long grain = Math.max(1, GRAIN / Math.max(1, len));
        Parallel.forRange(rows, grain, grain, (s, e) -> {
            for (long r = s; r < e; r++) {
                long at = r * n;
                double sum = 0;
                for (long i = 0; i < n; i++) sum += xs.getAtIndex(F, xo + at + i);
                float mu = (float) (sum / n);
                double sq = 0;
                for (long i = 0; i < n; i++) {
                    float c = xs.getAtIndex(F, xo + at + i) - mu;
                    sq += (double) c * c;
                }
                float rs0 = (float) (1 / Math.sqrt((float) ((float) (sq / n) + eps)));
                for (long i = 0; i < n; i++) {
                    float v = (xs.getAtIndex(F, xo + at + i) - mu) * rs0;
                    if (w != null) v *= w[(int) i];
                    if (b != null) v += b[(int) i];
                    os.setAtIndex(F, oo + at + i, v);
                }
                ms.setAtIndex(F, mo + r, mu);
                rs.setAtIndex(F, ro + r, rs0);
            }
        });
        return new dev.kiln.NormResult(out.markWritten(), mean.markWritten(), rstd.markWritten());
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

    /**
     * Batch statistics per channel of x [N, C, ...] (mean, then the variance of the centred values,
     * sums in double), the normalized output, and the running statistics updated in place as the
     * composite does ({@code r = r * (1 - momentum) + batch * momentum}, the variance unbiased),
     * parallel over channels. Returns mean and rstd as [C].
     */
    static dev.kiln.NormResult batchNormTraining(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                                                 double momentum, double eps) {
        int n = x.dim(0), c = x.dim(1);
        long spatial = x.numel() / Math.max(1, (long) n * c), count = (long) n * spatial;
        float[] w = floats(weight), b = floats(bias);
        Tensor out = x.device().empty(DType.F32, x.shape().dims());
        Tensor mean = x.device().empty(DType.F32, c), rstd = x.device().empty(DType.F32, c);
        MemorySegment xs = seg(x), os = seg(out), ms = seg(mean), rs = seg(rstd);
        MemorySegment rms = runningMean == null ? null : seg(runningMean), rvs = runningVar == null ? null : seg(runningVar);
        long xo = off(x), oo = off(out), mo = off(mean), ro = off(rstd);
        long rmo = runningMean == null ? 0 : off(runningMean), rvo = runningVar == null ? 0 : off(runningVar);
        float keep = (float) (1 - momentum), take = (float) momentum, takeUnbiased = (float) (momentum * count / (count - 1.0));
        long grain = Math.max(1, GRAIN / Math.max(1, count));
        Parallel.forRange(c, grain, grain, (s0, e0) -> {
            for (int ch = (int) s0; ch < e0; ch++) {
                double sum = 0;
                for (int img = 0; img < n; img++) {
                    long at = xo + ((long) img * c + ch) * spatial;
                    for (long i = 0; i < spatial; i++) sum += xs.getAtIndex(F, at + i);
                }
                float mu = (float) (sum / count);
                double sq = 0;
                for (int img = 0; img < n; img++) {
                    long at = xo + ((long) img * c + ch) * spatial;
                    for (long i = 0; i < spatial; i++) {
                        float d = xs.getAtIndex(F, at + i) - mu;
                        sq += d * d;
                    }
                }
                float var = (float) (sq / count);
                float r = (float) (1 / Math.sqrt((float) (var + eps)));
                float wc = w == null ? 1f : w[ch], bc = b == null ? 0f : b[ch];
                for (int img = 0; img < n; img++) {
                    long src = xo + ((long) img * c + ch) * spatial, dst = oo + ((long) img * c + ch) * spatial;
                    for (long i = 0; i < spatial; i++) {
                        float v = (xs.getAtIndex(F, src + i) - mu) * r;
                        if (w != null) v *= wc;
                        if (b != null) v += bc;
                        os.setAtIndex(F, dst + i, v);
                    }
                }
                ms.setAtIndex(F, mo + ch, mu);
                rs.setAtIndex(F, ro + ch, r);
                if (rms != null) rms.setAtIndex(F, rmo + ch, rms.getAtIndex(F, rmo + ch) * keep + mu * take);
                if (rvs != null) rvs.setAtIndex(F, rvo + ch, rvs.getAtIndex(F, rvo + ch) * keep + var * takeUnbiased);
            }
        });
        return new dev.kiln.NormResult(out.markWritten(), mean.markWritten(), rstd.markWritten());
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
