package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Device;
import dev.kiln.Functional;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Scope;
import dev.kiln.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The README's example, run as written (keep the two in step), on the CPU backend: its outputs
 * against a float64 reference, and its scope freeing everything it did not keep.
 */
class ReadmeExampleTest {
    @Test
    void twoLayerPerceptronMatchesAFloat64Reference() {
        Device device = Kiln.device("cpu");
        long before = device.bytesInUse();
        Generator random = new Generator(42);
        Tensor predicted;
        float[] x, w1, w2, probs;
        try (Scope scope = Kiln.scope()) {
            Tensor xt = device.randn(random, 8, 784);
            Tensor w1t = device.randn(random, 128, 784).mul(0.05);
            Tensor b1 = device.zeros(128);
            Tensor w2t = device.randn(random, 10, 128).mul(0.1);
            Tensor b2 = device.zeros(10);

            Tensor hidden = Functional.linear(xt, w1t, b1).relu();
            Tensor logits = Functional.linear(hidden, w2t, b2);
            Tensor probsT = Functional.softmax(logits, -1);
            predicted = scope.keep(probsT.argmax(1));

            x = xt.toFloatArray();
            w1 = w1t.toFloatArray();
            w2 = w2t.toFloatArray();
            probs = probsT.toFloatArray();
        }
        assertTrue(device.bytesInUse() - before > 0, "the kept tensor is still alive");
        long[] got = predicted.toLongArray();
        predicted.close();
        assertEquals(before, device.bytesInUse(), "the scope freed every tensor it did not keep");

        double[] ref = new double[8 * 10];
        long[] refArgmax = new long[8];
        for (int n = 0; n < 8; n++) {
            double[] h = new double[128];
            for (int j = 0; j < 128; j++) {
                double acc = 0;
                for (int i = 0; i < 784; i++) acc += (double) x[n * 784 + i] * w1[j * 784 + i];
                h[j] = Math.max(0, acc);
            }
            double[] logit = new double[10];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < 10; c++) {
                double acc = 0;
                for (int j = 0; j < 128; j++) acc += h[j] * w2[c * 128 + j];
                logit[c] = acc;
                if (acc > max) {
                    max = acc;
                    refArgmax[n] = c;
                }
            }
            double sum = 0;
            for (int c = 0; c < 10; c++) sum += Math.exp(logit[c] - max);
            for (int c = 0; c < 10; c++) ref[n * 10 + c] = Math.exp(logit[c] - max) / sum;
        }
        double err = 0, norm = 0;
        for (int i = 0; i < ref.length; i++) {
            assertTrue(Float.isFinite(probs[i]), "probability " + i + " is " + probs[i]);
            err += (probs[i] - ref[i]) * (probs[i] - ref[i]);
            norm += ref[i] * ref[i];
        }
        assertTrue(Math.sqrt(err / norm) < 1e-5, "relative error " + Math.sqrt(err / norm));
        assertArrayEquals(refArgmax, got);
    }
}
