package dev.kiln.models;

import dev.kiln.Device;
import dev.kiln.Tensor;
import dev.kiln.nn.Module;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The closed-form weights and inputs of the golden tests, the same formula as make_golden.py (next to
 * the golden files): every element is a function of the parameter's name and index, so PyTorch and
 * Kiln build identical models without storing weights.
 */
final class GoldenWeights {
    private GoldenWeights() {}

    static int nameHash(String name) {
        int h = 0;
        for (int k = 0; k < name.length(); k++) h = (h + name.charAt(k) * (k + 1)) % 9973;
        return h;
    }

    static float[] formula(String name, int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        int h = nameHash(name);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double t = Math.sin(0.37 * (i % 10007) + 0.011 * h);
            double x;
            if (name.endsWith("num_batches_tracked")) x = 0;
            else if (name.endsWith("running_var")) x = 1 + 0.5 * t * t;
            else if (name.endsWith("running_mean")) x = 0.1 * t;
            else if (shape.length == 1 && name.endsWith("weight")) x = 1 + 0.1 * t;
            else if (shape.length <= 1) x = 0.1 * t;
            else x = t * Math.sqrt(3.0 / (n / shape[0]));
            v[i] = (float) x;
        }
        return v;
    }

    /** Loads the formula's values into every parameter and buffer of {@code model}, and sets evaluation mode. */
    static <M extends Module> M fill(M model, Device d) {
        Map<String, Tensor> values = new LinkedHashMap<>();
        try {
            for (var e : model.stateDict().entrySet()) {
                int[] shape = e.getValue().shape().dims();
                try (Tensor f = d.fromArray(formula(e.getKey(), shape), shape)) {
                    values.put(e.getKey(), f.to(e.getValue().dtype()));
                }
            }
            model.loadStateDict(values, "golden formula");
        } finally {
            values.values().forEach(Tensor::close);
        }
        model.eval();
        return model;
    }

    static Tensor image(Device d, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) Math.sin(0.1 * i + 0.3);
        return d.fromArray(v, shape);
    }

    static Tensor tokens(Device d, int vocab, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = (i * 7L + 3) % vocab;
        return d.fromArray(v, shape);
    }
}
