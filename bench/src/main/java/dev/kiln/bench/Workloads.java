package dev.kiln.bench;

import dev.kiln.AttentionResult;
import dev.kiln.Device;
import dev.kiln.Functional;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Scope;
import dev.kiln.models.Zoo;
import dev.kiln.nn.Module;
import dev.kiln.RnnParams;
import dev.kiln.RnnResult;
import dev.kiln.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * The timed operations. Each owns its inputs (seeded normal random numbers) and, per call, runs the
 * kernel, waits for the device, and frees the result: one call is one timing.
 */
public final class Workloads {
    private Workloads() {}

    /** A timed operation with inputs to free afterwards. */
    public interface Workload extends Sampler.Op, AutoCloseable {
        @Override
        void run();

        @Override
        void close();
    }

    public static double gemmFlops(int n) { return 2.0 * n * n * n; }

    /** {@code [n, n] @ [n, n]} with {@link Tensor#matmul}. */
    public static Workload gemm(Device device, int n) {
        Generator g = new Generator(1234 + n);
        Tensor a = device.randn(g, n, n);
        Tensor b = device.randn(g, n, n);
        device.synchronize();
        return new Workload() {
            @Override
            public void run() {
                try (Tensor c = a.matmul(b)) {
                    device.synchronize();
                }
            }

            @Override
            public void close() {
                a.close();
                b.close();
            }
        };
    }

    /** One convolution layer's forward pass with {@link Functional#conv2d}. */
    public static Workload conv(Device device, ConvLayer layer, int batch) {
        Generator g = new Generator(4321 + batch);
        Tensor x = device.randn(g, layer.inputDims(batch));
        Tensor w = device.randn(g, layer.weightDims());
        Tensor bias = layer.bias() ? device.randn(g, layer.outC()) : null;
        device.synchronize();
        return new Workload() {
            @Override
            public void run() {
                try (Tensor y = Functional.conv2d(x, w, bias, layer.params())) {
                    device.synchronize();
                }
            }

            @Override
            public void close() {
                x.close();
                w.close();
                if (bias != null) bias.close();
            }
        };
    }

    /** A one-layer LSTM language-model step over a whole sequence: [T, N, IN] -> [T, N, HIDDEN]. */
    public static final int LSTM_STEPS = 50, LSTM_INPUT = 256, LSTM_HIDDEN = 512;

    public static String lstmGeometry() {
        return "T=" + LSTM_STEPS + ", in " + LSTM_INPUT + ", hidden " + LSTM_HIDDEN + ", 1 layer";
    }

    /** The gate GEMMs: per step and batch row, 4 gates x hidden outputs over input + hidden features. */
    public static double lstmFlops(int batch) {
        return 2.0 * LSTM_STEPS * batch * 4 * LSTM_HIDDEN * (LSTM_INPUT + LSTM_HIDDEN);
    }

    /** Inference ({@code training = false}) of {@link Functional#rnn} in LSTM mode. */
    public static Workload lstm(Device device, int batch) {
        RnnParams p = new RnnParams(RnnParams.Mode.LSTM, LSTM_INPUT, LSTM_HIDDEN, 1, false);
        Generator g = new Generator(777 + batch);
        double scale = 1 / Math.sqrt(LSTM_HIDDEN);
        List<Tensor> owned = new ArrayList<>();
        Tensor x = keep(owned, device.randn(g, LSTM_STEPS, batch, LSTM_INPUT));
        Tensor h0 = keep(owned, device.zeros(1, batch, LSTM_HIDDEN));
        Tensor c0 = keep(owned, device.zeros(1, batch, LSTM_HIDDEN));
        List<Tensor> weights = new ArrayList<>();
        int[][] shapes = {{4 * LSTM_HIDDEN, LSTM_INPUT}, {4 * LSTM_HIDDEN, LSTM_HIDDEN}, {4 * LSTM_HIDDEN}, {4 * LSTM_HIDDEN}};
        for (int[] s : shapes) {
            try (Tensor raw = device.randn(g, s)) {
                weights.add(keep(owned, raw.mul(scale)));
            }
        }
        device.synchronize();
        return new Workload() {
            @Override
            public void run() {
                try (RnnResult r = Functional.rnn(p, x, h0, c0, weights, false)) {
                    device.synchronize();
                }
            }

            @Override
            public void close() { owned.forEach(Tensor::close); }
        };
    }

    /** Self-attention of a Transformer encoder layer: N x 8 heads x 128 tokens x 64 dims. */
    public static final int ATTENTION_HEADS = 8, ATTENTION_TOKENS = 128, ATTENTION_DIM = 64;

    public static String attentionGeometry() {
        return ATTENTION_HEADS + " heads, T=" + ATTENTION_TOKENS + ", D=" + ATTENTION_DIM;
    }

    /** Q K^T and P V: two [T, D] x [D, T]-sized products per head. */
    public static double attentionFlops(int batch) {
        return 4.0 * batch * ATTENTION_HEADS * ATTENTION_TOKENS * ATTENTION_TOKENS * ATTENTION_DIM;
    }

    /** {@link Functional#attention} forward, no mask, not causal, scale 1/sqrt(D). */
    public static Workload attention(Device device, int batch) {
        Generator g = new Generator(999 + batch);
        int[] dims = {batch, ATTENTION_HEADS, ATTENTION_TOKENS, ATTENTION_DIM};
        Tensor q = device.randn(g, dims);
        Tensor k = device.randn(g, dims);
        Tensor v = device.randn(g, dims);
        double scale = 1 / Math.sqrt(ATTENTION_DIM);
        device.synchronize();
        return new Workload() {
            @Override
            public void run() {
                try (AttentionResult r = Functional.attention(q, k, v, null, false, scale)) {
                    device.synchronize();
                }
            }

            @Override
            public void close() {
                q.close();
                k.close();
                v.close();
            }
        };
    }

    /** Inference of a zoo model on its sample input (eval mode: dropout off, batch norm on running statistics). */
    public static Workload model(Device device, Zoo.Entry model, int batch) {
        Module net = model.build().apply(device);
        net.eval();
        Tensor input = model.sampleInput().apply(device, batch);
        device.synchronize();
        return new Workload() {
            @Override
            public void run() {
                // The scope frees the output and anything a layer left behind; parameters were made outside it.
                try (Scope s = Kiln.scope()) {
                    model.infer(net, input);
                    device.synchronize();
                }
            }

            @Override
            public void close() {
                input.close();
                net.close();
            }
        };
    }

    /**
     * One training step of a zoo model: forward in training mode, cross-entropy against fixed random
     * class targets (every position for language models), backward, SGD with momentum, zeroed gradients.
     */
    public static Workload trainStep(Device device, Zoo.Entry model, int batch) {
        Module net = model.build().apply(device);
        net.train(true);
        Tensor input = model.sampleInput().apply(device, batch);
        int classes;
        long rows;
        try (Tensor probe = model.infer(net, input)) {
            classes = probe.dim(-1);
            rows = probe.numel() / classes;
        }
        long[] labels = new long[Math.toIntExact(rows)];
        for (int i = 0; i < labels.length; i++) labels[i] = (i * 7919L + 17) % classes;
        Tensor targets = device.fromArray(labels, labels.length);
        dev.kiln.optim.SGD sgd = new dev.kiln.optim.SGD(net.parameters(), 1e-3, 0.9, 0, 0, false);
        device.synchronize();
        return new Workload() {
            @Override
            public void run() {
                try (Scope s = Kiln.scope()) {
                    Tensor logits = model.forward(net, input);
                    Tensor loss = dev.kiln.Functional.crossEntropy(logits.reshape(-1, classes), targets);
                    loss.backward();
                    sgd.step();
                    sgd.zeroGrad();
                    device.synchronize();
                }
            }

            @Override
            public void close() {
                sgd.close();
                targets.close();
                input.close();
                net.close();
            }
        };
    }

    private static Tensor keep(List<Tensor> owned, Tensor t) {
        owned.add(t);
        return t;
    }

    /** The same square GEMM through OpenBLAS's cblas_sgemm, on native memory. */
    public static Workload openBlasGemm(OpenBlas blas, int n) {
        Arena arena = Arena.ofShared();
        long bytes = 4L * n * n;
        MemorySegment a = arena.allocate(bytes, 64);
        MemorySegment b = arena.allocate(bytes, 64);
        MemorySegment c = arena.allocate(bytes, 64);
        SplittableRandom r = new SplittableRandom(1234 + n);
        for (long i = 0; i < (long) n * n; i++) {
            a.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian());
            b.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian());
        }
        return new Workload() {
            @Override
            public void run() { blas.sgemm(n, n, n, 1f, a, b, 0f, c); }

            @Override
            public void close() { arena.close(); }
        };
    }
}
