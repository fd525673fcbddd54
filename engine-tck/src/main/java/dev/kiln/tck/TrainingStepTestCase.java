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
