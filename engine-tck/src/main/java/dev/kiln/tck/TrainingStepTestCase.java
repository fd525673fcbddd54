package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Conv2dParams;
import dev.kiln.DType;
import dev.kiln.Functional;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Pool2dParams;
import dev.kiln.Reduction;
import dev.kiln.Scope;
import dev.kiln.Tensor;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.MaxPool2d;
import dev.kiln.nn.Module;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.SGD;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Whole training steps through the nn layers, autograd and an optimizer: on a fixed batch, five SGD
 * steps of a small MLP and of a small CNN must lower the cross-entropy loss at every step, and the
 * first step's parameter update must equal {@code -lr * grad} exactly as the gradients said. Device
 * memory returns to its baseline after the model and optimizer are closed.
 */
public abstract class TrainingStepTestCase extends KilnTestCase {
    private static final int STEPS = 5;

    @Test
    void mlpLossFallsUnderSgd() {
        Generator g = new Generator(seed);
        Module mlp = track(new Sequential(new Linear(device(), g, 6, 16, true), new ReLU(), new Linear(device(), g, 16, 4, true)));
        Tensor x = upload(randn(8, 6));
        Tensor y = track(device().fromArray(new long[] {0, 1, 2, 3, 3, 2, 1, 0}, 8));
        trainAndCheck("MLP", mlp, x, y, 0.1);
    }

    /** The MLP's loss curve against a float64 host re-implementation of the same five SGD steps from the same weights. */
    @Test
    void mlpFollowsTheFloat64LossCurve() {
        Generator g = new Generator(seed);
        Module mlp = track(new Sequential(new Linear(device(), g, 5, 8, true), new ReLU(), new Linear(device(), g, 8, 3, true)));
        HostTensor xh = randn(6, 5);
        long[] labels = {0, 2, 1, 1, 0, 2};
        Tensor x = upload(xh);
        Tensor y = track(device().fromArray(labels, 6));
        double[][] w = mlp.parameters().stream().map(p -> HostTensor.of(p).data.clone()).toArray(double[][]::new);
        SGD opt = track(new SGD(mlp.parameters(), 0.2));
        for (int step = 0; step < STEPS; step++) {
            double expected = hostMlpStep(w, xh, labels, 5, 8, 3, 0.2);
            opt.zeroGrad();
            double actual;
            try (Scope s = Kiln.scope()) {
                Tensor loss = Functional.crossEntropy(mlp.forward(x), y, -100, 0, Reduction.MEAN);
                actual = loss.item();
                loss.backward();
            }
            opt.step();
            assertEquals(expected, actual, 1e-4 * Math.abs(expected), "loss at step " + step + " (" + seedNote() + ")");
        }
    }

    /** One float64 forward, backward and SGD update of linear-relu-linear with mean cross-entropy; returns the loss before the update. */
    private static double hostMlpStep(double[][] p, HostTensor x, long[] labels, int in, int hidden, int out, double lr) {
        double[] w1 = p[0], b1 = p[1], w2 = p[2], b2 = p[3];
        int n = labels.length;
        double[][] pre = new double[n][hidden], h = new double[n][hidden], dz = new double[n][out];
        double loss = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < hidden; j++) {
                double a = b1[j];
                for (int k = 0; k < in; k++) a += x.get(i, k) * w1[j * in + k];
                pre[i][j] = a;
                h[i][j] = Math.max(0, a);
            }
            double[] z = new double[out];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < out; c++) {
                z[c] = b2[c];
                for (int j = 0; j < hidden; j++) z[c] += h[i][j] * w2[c * hidden + j];
                max = Math.max(max, z[c]);
            }
            double sum = 0;
            for (int c = 0; c < out; c++) sum += Math.exp(z[c] - max);
            loss += -(z[(int) labels[i]] - max - Math.log(sum)) / n;
            for (int c = 0; c < out; c++) dz[i][c] = (Math.exp(z[c] - max) / sum - (c == labels[i] ? 1 : 0)) / n;
        }
        double[] gw1 = new double[w1.length], gb1 = new double[b1.length], gw2 = new double[w2.length], gb2 = new double[b2.length];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < out; c++) {
                gb2[c] += dz[i][c];
                for (int j = 0; j < hidden; j++) gw2[c * hidden + j] += dz[i][c] * h[i][j];
            }
            for (int j = 0; j < hidden; j++) {
                if (pre[i][j] <= 0) continue;
                double dh = 0;
                for (int c = 0; c < out; c++) dh += dz[i][c] * w2[c * hidden + j];
                gb1[j] += dh;
                for (int k = 0; k < in; k++) gw1[j * in + k] += dh * x.get(i, k);
            }
        }
        double[][] grads = {gw1, gb1, gw2, gb2};
        for (int t = 0; t < 4; t++) for (int i = 0; i < p[t].length; i++) p[t][i] -= lr * grads[t][i];
        return loss;
    }

    @Test
    void cnnLossFallsUnderSgd() {
        Generator g = new Generator(seed);
        Module cnn = track(new Sequential(
                new Conv2d(device(), g, 1, 4, 3, Conv2dParams.of(1, 1), true), new ReLU(),
                new MaxPool2d(Pool2dParams.of(2, 2, 0)), new Flatten(),
                new Linear(device(), g, 4 * 3 * 3, 3, true)));
        Tensor x = upload(randn(4, 1, 6, 6));
        Tensor y = track(device().fromArray(new long[] {0, 2, 1, 2}, 4));
        trainAndCheck("CNN", cnn, x, y, 0.05);
    }

    /** A character-level LSTM language model (embedding, batch-first LSTM, linear head) on one fixed batch of sequences. */
    @Test
    void lstmLanguageModelLossFallsUnderSgd() {
        Generator g = new Generator(seed);
        Module lm = track(new Module() {
            private final dev.kiln.nn.Embedding embed = child("embed", new dev.kiln.nn.Embedding(device(), g, 6, 4));
            private final dev.kiln.nn.Recurrent lstm = child("lstm", dev.kiln.nn.Recurrent.lstm(device(), g, 4, 8, 1, false, true));
            private final Linear head = child("head", new Linear(device(), g, 8, 6, true));

            @Override
            public Tensor forward(Tensor ids) {
                try (Tensor e = embed.forward(ids); Tensor h = lstm.forward(e); Tensor logits = head.forward(h)) {
                    return logits.reshape(-1, 6);
                }
            }
        });
        long[] text = {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0, 1};
        long[] inputs = new long[12], targets = new long[12];
        for (int b = 0; b < 3; b++) {
            for (int t = 0; t < 4; t++) {
                inputs[b * 4 + t] = text[b * 5 + t];
                targets[b * 4 + t] = text[b * 5 + t + 1];
            }
        }
        Tensor x = track(device().fromArray(inputs, 3, 4));
        Tensor y = track(device().fromArray(targets, 12));
        trainAndCheck("LSTM language model", lm, x, y, 0.5);
    }

    private void trainAndCheck(String what, Module model, Tensor x, Tensor y, double lr) {
        assertTrue(model.parameters().stream().allMatch(Tensor::requiresGrad), what + ": parameters require grad by default");
        SGD opt = track(new SGD(model.parameters(), lr));
        double[] losses = new double[STEPS];
        for (int step = 0; step < STEPS; step++) {
            opt.zeroGrad();
            try (Scope s = Kiln.scope()) {
                Tensor loss = Functional.crossEntropy(model.forward(x), y, -100, 0, Reduction.MEAN);
                losses[step] = loss.item();
                loss.backward();
            }
            for (Tensor p : model.parameters()) assertNotNull(p.grad(), what + ": every parameter gets a gradient (" + seedNote() + ")");
            if (step == 0) checkPlainSgdUpdate(what, model, opt, lr);
            else opt.step();
            assertTrue(Double.isFinite(losses[step]), what + ": loss " + losses[step] + " at step " + step + " (" + seedNote() + ")");
        }
        for (int step = 1; step < STEPS; step++) {
            assertTrue(losses[step] < losses[step - 1], what + ": loss must fall at every step, got " + Arrays.toString(losses) + " (" + seedNote() + ")");
        }
        model.zeroGrad();
        for (Tensor p : model.parameters()) assertEquals(null, p.grad());
    }

    /** Plain SGD moves each parameter by exactly {@code -lr * grad}. */
    private void checkPlainSgdUpdate(String what, Module model, SGD opt, double lr) {
        var before = model.parameters().stream().map(HostTensor::of).toList();
        var grads = model.parameters().stream().map(p -> HostTensor.of(p.grad())).toList();
        opt.step();
        for (int i = 0; i < before.size(); i++) {
            HostTensor b = before.get(i), gr = grads.get(i);
            double[] expected = new double[b.numel()];
            for (int k = 0; k < expected.length; k++) expected[k] = b.data[k] - lr * gr.data[k];
            assertClose(what + " parameter " + i + " after one step", new HostTensor(expected, b.shape), model.parameters().get(i));
        }
    }

    @Test
    void anInferencePassUnderNoGradSavesNothing() {
        Generator g = new Generator(seed);
        Module mlp = track(new Sequential(new Linear(device(), g, 5, 7, true), new ReLU(), new Linear(device(), g, 7, 2, true)));
        Tensor x = upload(randn(3, 5));
        long base = device().bytesInUse(), inference, training;
        try (var off = dev.kiln.autograd.Autograd.noGrad(); Tensor out = mlp.forward(x)) {
            assertEquals(false, out.requiresGrad());
            inference = device().bytesInUse() - base;
        }
        assertEquals(base, device().bytesInUse(), "closing an inference output frees everything");
        try (Tensor out = mlp.forward(x)) {
            assertTrue(out.requiresGrad());
            training = device().bytesInUse() - base;
        }
        assertTrue(training > inference, "with grad on, the graph keeps activations for backward (" + training + " vs " + inference + " bytes)");
        assertEquals(base, device().bytesInUse(), "closing the output of a graph never backpropagated frees it");
    }
}
