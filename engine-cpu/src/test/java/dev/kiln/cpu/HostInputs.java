package dev.kiln.cpu;

import dev.kiln.Device;
import dev.kiln.Tensor;
import java.util.Random;

/** Random inputs rounded to float32 (so the float64 reference sees exactly what the device gets), and their CPU tensors. */
final class HostInputs {
    private HostInputs() {}

    static double[] gaussian(Random rnd, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    static Tensor tensor(Device cpu, double[] v, int... dims) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return cpu.fromArray(f, dims);
    }
}
