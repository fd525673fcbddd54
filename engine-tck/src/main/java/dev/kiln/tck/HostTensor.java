package dev.kiln.tck;

import dev.kiln.DType;
import dev.kiln.Device;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import java.util.Arrays;
import java.util.Random;

/**
 * A float64 array with a shape, on the host: the inputs the kit draws and the references it computes.
 * Row-major, like every Kiln tensor.
 */
public final class HostTensor {
    public final double[] data;
    public final int[] shape;

    public HostTensor(double[] data, int... shape) {
        if (Shape.of(shape).numel() != data.length) {
            throw new IllegalArgumentException(data.length + " values for shape " + Arrays.toString(shape));
        }
        this.data = data;
        this.shape = shape.clone();
    }

    public static HostTensor zeros(int... shape) { return new HostTensor(new double[(int) Shape.of(shape).numel()], shape); }

    /** Standard normal values, rounded to float32 so the device sees exactly the same numbers. */
    public static HostTensor randn(Random rnd, int... shape) {
        double[] d = new double[(int) Shape.of(shape).numel()];
        for (int i = 0; i < d.length; i++) d[i] = (float) rnd.nextGaussian();
        return new HostTensor(d, shape);
    }

    /** Uniform on [lo, hi), rounded to float32. */
    public static HostTensor uniform(Random rnd, double lo, double hi, int... shape) {
        double[] d = new double[(int) Shape.of(shape).numel()];
        for (int i = 0; i < d.length; i++) d[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        return new HostTensor(d, shape);
    }

    /** Random integers in [lo, hi). */
    public static HostTensor randint(Random rnd, int lo, int hi, int... shape) {
        double[] d = new double[(int) Shape.of(shape).numel()];
        for (int i = 0; i < d.length; i++) d[i] = lo + rnd.nextInt(hi - lo);
        return new HostTensor(d, shape);
    }

    public static HostTensor of(Tensor t) {
        float[] f = t.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return new HostTensor(d, t.shape().dims());
    }

    public int numel() { return data.length; }

    public int rank() { return shape.length; }

    /** Row-major strides. */
    public int[] strides() {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    public double get(int... idx) { return data[offset(idx)]; }

    public void set(double v, int... idx) { data[offset(idx)] = v; }

    public int offset(int... idx) {
        int o = 0, acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            o += idx[i] * acc;
            acc *= shape[i];
        }
        return o;
    }

    /** Uploads as {@code dtype} (float values are rounded to it; integer dtypes take the value as is). */
    public Tensor to(Device device, DType dtype) {
        return switch (dtype) {
            case F32 -> {
                float[] f = new float[data.length];
                for (int i = 0; i < f.length; i++) f[i] = (float) data[i];
                yield device.fromArray(f, shape);
            }
            case I64 -> {
                long[] l = new long[data.length];
                for (int i = 0; i < l.length; i++) l[i] = (long) data[i];
                yield device.fromArray(l, shape);
            }
            case I32 -> {
                int[] n = new int[data.length];
                for (int i = 0; i < n.length; i++) n[i] = (int) data[i];
                yield device.fromArray(n, shape);
            }
            case F16, BF16 -> {
                try (Tensor f = to(device, DType.F32)) {
                    yield f.to(dtype);
                }
            }
        };
    }

    public Tensor to(Device device) { return to(device, DType.F32); }

    public HostTensor map(java.util.function.DoubleUnaryOperator f) {
        double[] d = new double[data.length];
        for (int i = 0; i < d.length; i++) d[i] = f.applyAsDouble(data[i]);
        return new HostTensor(d, shape);
    }

    @Override
    public String toString() { return "HostTensor" + Arrays.toString(shape); }
}
