package dev.kiln.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Device;
import dev.kiln.RnnParams;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.io.SafeTensors;
import dev.kiln.nn.Module;
import dev.kiln.tck.HostTensor;
import dev.kiln.tck.KilnTestCase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zoo on one backend: PyTorch's outputs for the same closed-form weights (golden files made by
 * make_golden.py), torchvision's parameter counts, clear errors for wrong inputs, thread safety.
 * Each backend's test class names its device.
 */
abstract class ZooTest extends KilnTestCase {
    /** Models are deep stacks of F32 ops; PyTorch and Kiln differ by summation order only. */
    static final double MODEL_TOLERANCE = 2e-4;

    private void golden(String name, Function<Device, Module> build, Function<Module, Tensor> run) {
        Module model = track(GoldenWeights.fill(build.apply(device()), device()));
        Tensor out = track(run.apply(model));
        Path file = Path.of("src/test/resources/golden", name + ".safetensors");
        try (SafeTensors st = SafeTensors.open(file); Tensor expected = st.load("output", device())) {
            assertClose(name + " logits against PyTorch", HostTensor.of(expected), out, MODEL_TOLERANCE);
        }
    }

    @Test
    void lenet5MatchesPyTorch() {
        golden("lenet5", d -> LeNet5.builder(d).build(), m -> m.forward(track(GoldenWeights.image(device(), 2, 1, 32, 32))));
    }

    @Test
    void alexnetMatchesPyTorch() {
        golden("alexnet", d -> AlexNet.builder(d).build(), m -> m.forward(track(GoldenWeights.image(device(), 1, 3, 224, 224))));
    }

    @Test
    void googlenetMatchesPyTorch() {
        golden("googlenet", d -> GoogLeNet.builder(d).build(), m -> m.forward(track(GoldenWeights.image(device(), 1, 3, 224, 224))));
    }

    @Test
    void resnet18MatchesPyTorch() {
        golden("resnet18", d -> ResNet.builder(d).depth(18).build(), m -> m.forward(track(GoldenWeights.image(device(), 1, 3, 224, 224))));
    }

    @Test
    void lstmLanguageModelMatchesPyTorch() {
        golden("lstm_lm", d -> RnnLanguageModel.builder(d).vocab(50).embed(16).hidden(24).layers(2).build(),
                m -> m.forward(track(GoldenWeights.tokens(device(), 50, 2, 7))));
    }

    @Test
    void gruLanguageModelMatchesPyTorch() {
        golden("gru_lm", d -> RnnLanguageModel.builder(d).mode(RnnParams.Mode.GRU).vocab(50).embed(16).hidden(24).layers(2).build(),
                m -> m.forward(track(GoldenWeights.tokens(device(), 50, 2, 7))));
    }

    @Test
    void transformerClassifierMatchesPyTorch() {
        golden("transformer_classifier",
                d -> TransformerClassifier.builder(d).vocab(100).maxLen(16).dModel(32).heads(4).layers(2).dimFeedforward(64).numClasses(3).build(),
                m -> m.forward(track(GoldenWeights.tokens(device(), 100, 2, 9))));
    }

    @Test
    void encoderDecoderTransformerMatchesPyTorch() {
        golden("transformer",
                d -> Transformer.builder(d).srcVocab(60).tgtVocab(70).maxLen(16).dModel(32).heads(4).layers(2).dimFeedforward(64).build(),
                m -> ((Transformer) m).forward(track(GoldenWeights.tokens(device(), 60, 2, 6)), track(GoldenWeights.tokens(device(), 70, 2, 5))));
    }

    @Test
    void googlenetAuxiliaryHeadsRunInTrainingModeOnly() {
        GoogLeNet net = track(GoogLeNet.builder(device()).auxLogits(true).numClasses(7).build());
        Tensor x = track(device().randn(new dev.kiln.Generator(seed), 2, 3, 96, 96));
        try (GoogLeNet.Outputs o = net.forwardWithAux(x)) {
            assertArrayEquals(new int[] {2, 7}, o.logits().shape().dims());
            assertArrayEquals(new int[] {2, 7}, o.aux1().shape().dims());
            assertArrayEquals(new int[] {2, 7}, o.aux2().shape().dims());
        }
        net.eval();
        try (GoogLeNet.Outputs o = net.forwardWithAux(x)) {
            assertEquals(null, o.aux1());
            assertEquals(null, o.aux2());
        }
    }

    @Test
    void ninAndVggProduceClassScores() {
        NiN nin = track(NiN.builder(device()).build());
        nin.eval();
        Tensor x = track(device().randn(new dev.kiln.Generator(seed), 1, 1, 224, 224));
        Tensor y = track(nin.forward(x));
        assertArrayEquals(new int[] {1, 10}, y.shape().dims());
        for (float v : y.toFloatArray()) assertTrue(Float.isFinite(v), "NiN output is finite");
    }

    @Test
    void eightThreadsGiveTheSameBitsAsOne() throws Exception {
        LeNet5 model = track(LeNet5.builder(device()).seed(7).build());
        model.eval();
        Tensor x = track(GoldenWeights.image(device(), 4, 1, 32, 32));
        float[] reference;
        try (Tensor y = model.forward(x)) {
            reference = y.toFloatArray();
        }
        long before = device().bytesInUse();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                runs.add(pool.submit(() -> {
                    int same = 0;
                    for (int i = 0; i < 200; i++) {
                        try (Tensor y = model.forward(x)) {
                            if (java.util.Arrays.equals(reference, y.toFloatArray())) same++;
                        }
                    }
                    return same;
                }));
            }
            for (Future<Integer> f : runs) assertEquals(200, f.get());
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(5, java.util.concurrent.TimeUnit.MINUTES), "inference threads stopped");
        }
        device().synchronize();
        assertEquals(before, device().bytesInUse(), "device memory after 1600 concurrent inferences");
    }

    @Test
    void weightsRoundTripThroughSafetensors(@TempDir Path dir) {
        LeNet5 a = track(LeNet5.builder(device()).seed(1).build());
        LeNet5 b = track(LeNet5.builder(device()).seed(2).build());
        Path f = dir.resolve("lenet.safetensors");
        a.save(f);
        try (SafeTensors st = SafeTensors.open(f)) {
            b.load(st);
        }
        Tensor x = track(GoldenWeights.image(device(), 1, 1, 32, 32));
        a.eval();
        b.eval();
        assertArrayEquals(track(a.forward(x)).toFloatArray(), track(b.forward(x)).toFloatArray());
    }

}
