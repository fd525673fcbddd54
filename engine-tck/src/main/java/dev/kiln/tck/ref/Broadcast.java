package dev.kiln.tck.ref;

import dev.kiln.tck.HostTensor;
import java.util.Arrays;

/** NumPy broadcasting in float64, written from the rules: align trailing axes, extent 1 repeats. */
public final class Broadcast {
    private Broadcast() {}

    /** The broadcast shape, or null when the shapes do not broadcast. */
    public static int[] shape(int[]... shapes) {
        int r = 0;
        for (int[] s : shapes) r = Math.max(r, s.length);
        int[] out = new int[r];
        Arrays.fill(out, 1);
        for (int[] s : shapes) {
            for (int i = 0; i < s.length; i++) {
                int o = r - s.length + i;
                if (s[i] == out[o] || s[i] == 1) continue;
                if (out[o] != 1) return null;
                out[o] = s[i];
            }
        }
        return out;
    }

    /** The value of {@code t} at output coordinates {@code idx} of a broadcast result. */
    public static double at(HostTensor t, int[] idx) {
        int off = 0, acc = 1;
        for (int i = t.shape.length - 1; i >= 0; i--) {
            int o = idx.length - t.shape.length + i;
            int c = t.shape[i] == 1 ? 0 : idx[o];
            off += c * acc;
            acc *= t.shape[i];
        }
        return t.data[off];
    }

    /** Row-major coordinates of element {@code linear} of {@code shape}. */
    public static int[] coords(int[] shape, long linear) {
        int[] idx = new int[shape.length];
        for (int i = shape.length - 1; i >= 0; i--) {
            idx[i] = (int) (linear % shape[i]);
            linear /= shape[i];
        }
        return idx;
    }

    public interface Fn2 { double apply(double a, double b); }

    public interface Fn3 { double apply(double a, double b, double c); }

    public static HostTensor binary(HostTensor a, HostTensor b, Fn2 f) {
        int[] out = shape(a.shape, b.shape);
        HostTensor r = HostTensor.zeros(out);
        for (int i = 0; i < r.numel(); i++) {
            int[] idx = coords(out, i);
            r.data[i] = f.apply(at(a, idx), at(b, idx));
        }
        return r;
    }

    public static HostTensor ternary(HostTensor a, HostTensor b, HostTensor c, Fn3 f) {
        int[] out = shape(a.shape, b.shape, c.shape);
        HostTensor r = HostTensor.zeros(out);
        for (int i = 0; i < r.numel(); i++) {
            int[] idx = coords(out, i);
            r.data[i] = f.apply(at(a, idx), at(b, idx), at(c, idx));
        }
        return r;
    }

    /** {@code t} repeated to {@code dims}. */
    public static HostTensor expand(HostTensor t, int[] dims) {
        HostTensor r = HostTensor.zeros(dims);
        for (int i = 0; i < r.numel(); i++) r.data[i] = at(t, coords(dims, i));
        return r;
    }
}
