package dev.kiln.tck.ref;

import dev.kiln.tck.HostTensor;

/** Reductions over axes in float64: each output element sees the list of its inputs, in row-major order. */
public final class Reductions {
    private Reductions() {}

    public interface Fold { double apply(double[] group); }

    /** Reduces {@code axes} (all when empty; negative allowed) with {@code fold}; keeps them as extent 1 when asked. */
    public static HostTensor reduce(HostTensor x, int[] axes, boolean keepDim, Fold fold) {
        int r = x.rank();
        boolean[] red = new boolean[r];
        if (axes.length == 0) java.util.Arrays.fill(red, true);
        for (int a : axes) red[a < 0 ? a + r : a] = true;
        int[] kept = x.shape.clone();
        for (int i = 0; i < r; i++) if (red[i]) kept[i] = 1;
        HostTensor out = HostTensor.zeros(kept);
        int groupSize = out.numel() == 0 ? 0 : x.numel() / out.numel();
        double[][] groups = new double[out.numel()][groupSize];
        int[] filled = new int[out.numel()];
        int[] idx = new int[r];
        for (int i = 0; i < x.numel(); i++) {
            // row-major walk of x: idx are the coordinates of element i; the group is idx with reduced axes at 0
            int g = 0, acc = 1;
            for (int d = r - 1; d >= 0; d--) {
                if (!red[d]) g += idx[d] * acc;
                acc *= kept[d];
            }
            groups[g][filled[g]++] = x.data[i];
            for (int d = r - 1; d >= 0 && ++idx[d] == x.shape[d]; d--) idx[d] = 0;
        }
        for (int i = 0; i < out.numel(); i++) out.data[i] = fold.apply(groups[i]);
        if (keepDim) return out;
        int n = 0;
        for (int i = 0; i < r; i++) if (!red[i]) n++;
        int[] squeezed = new int[n];
        for (int i = 0, j = 0; i < r; i++) if (!red[i]) squeezed[j++] = x.shape[i];
        return new HostTensor(out.data, squeezed);
    }

    public static double sum(double[] g) {
        double s = 0;
        for (double v : g) s += v;
        return s;
    }

    public static double prod(double[] g) {
        double p = 1;
        for (double v : g) p *= v;
        return p;
    }

    /** NaN wins, as in torch.max. */
    public static double max(double[] g) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : g) {
            if (Double.isNaN(v)) return v;
            if (v > m) m = v;
        }
        return m;
    }

    public static double min(double[] g) {
        double m = Double.POSITIVE_INFINITY;
        for (double v : g) {
            if (Double.isNaN(v)) return v;
            if (v < m) m = v;
        }
        return m;
    }

    public static double mean(double[] g) { return sum(g) / g.length; }

    public static double var(double[] g, int correction) {
        double m = mean(g), s = 0;
        for (double v : g) s += (v - m) * (v - m);
        return s / Math.max(0, g.length - correction);
    }

    /** First index of the maximum (the first NaN, if any). */
    public static double argmax(double[] g) {
        int best = 0;
        for (int i = 0; i < g.length; i++) {
            if (Double.isNaN(g[i])) return i;
            if (g[i] > g[best]) best = i;
        }
        return best;
    }

    public static double argmin(double[] g) {
        int best = 0;
        for (int i = 0; i < g.length; i++) {
            if (Double.isNaN(g[i])) return i;
            if (g[i] < g[best]) best = i;
        }
        return best;
    }
}
