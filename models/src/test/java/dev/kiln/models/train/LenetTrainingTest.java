package dev.kiln.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.Device;
import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.data.MnistLike;
import dev.kiln.data.SyntheticMnist;
import dev.kiln.io.SafeTensors;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LenetTrainingTest {
    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    static LenetTraining.Config config(Path data, Path out) {
        return LenetTraining.Config.defaults(data).withOut(out).withBackend("cpu").withBatchSize(32).withLog(QUIET, false);
    }

    /** (epoch, batch) -> loss of every step of a run. */
    static Map<String, Double> losses(LenetTraining.Config c) {
        Map<String, Double> out = new LinkedHashMap<>();
        LenetTraining.run(c.withListener((epoch, batch, step, loss) -> out.put(epoch + "/" + batch, loss)));
        return out;
    }

    @Test
    void lossFallsOnASubsetOfFashionMnist(@TempDir Path out) {
        assumeTrue(Files.isRegularFile(MnistLike.DEBIAN_FASHION_MNIST.resolve("train-images-idx3-ubyte.gz")),
                MnistLike.DEBIAN_FASHION_MNIST + " is absent: install the Debian package dataset-fashion-mnist to run this test");
        List<Double> losses = new ArrayList<>(losses(config(MnistLike.DEBIAN_FASHION_MNIST, out).withEpochs(2).withLimits(1280, 500)).values());
        double first = mean(losses.subList(0, 5)), last = mean(losses.subList(losses.size() - 5, losses.size()));
        assertTrue(first > 1.8, "an untrained 10-class model starts near ln 10, got " + first);
        assertTrue(last < 0.6 * first, "mean loss of the first 5 steps " + first + ", of the last 5 " + last);
    }

    static double mean(List<Double> v) { return v.stream().mapToDouble(Double::doubleValue).average().orElseThrow(); }

    @Test
    void resumingFromACheckpointGivesTheSameLossesAsNotStopping(@TempDir Path dir) throws Exception {
        Path data = SyntheticMnist.write(Files.createDirectory(dir.resolve("data")), 192, 64, 5);
        Map<String, Double> straight = losses(config(data, dir.resolve("a")).withEpochs(2));
        Path checkpoint = dir.resolve("a/lenet-epoch-1.safetensors");
        assertTrue(Files.isRegularFile(checkpoint));
        Map<String, Double> resumed = losses(config(data, dir.resolve("b")).withEpochs(2).withResume(checkpoint));
        assertEquals(6, resumed.size()); // epoch 2: 192 images in batches of 32
        for (var e : resumed.entrySet()) {
            assertEquals(straight.get(e.getKey()), e.getValue(), "step " + e.getKey() + ": the resumed run must repeat the loss bit for bit");
        }
        assertTrue(straight.get("2/6") < straight.get("1/1"), "the synthetic classes are learnable: " + straight);
    }

    @Test
    void checkpointHoldsModelOptimizerAndPositionAndTheChartIsAPng(@TempDir Path dir) throws Exception {
        Path data = SyntheticMnist.write(Files.createDirectory(dir.resolve("data")), 64, 32, 6);
        History h = LenetTraining.run(config(data, dir.resolve("out")).withEpochs(2));
        assertEquals(2, h.epochs().size());
        assertTrue(h.epochs().get(1).testAccuracy() >= 0 && h.epochs().get(1).testAccuracy() <= 1);
        try (SafeTensors st = SafeTensors.open(dir.resolve("out/lenet-epoch-2.safetensors"))) {
            assertTrue(st.names().contains("model.features.0.weight"), st.names().toString());
            assertTrue(st.names().stream().anyMatch(n -> n.startsWith("optimizer.")), st.names().toString());
            assertEquals("2", st.metadata().get("epoch"));
            assertEquals("4", st.metadata().get("step"));
            assertEquals(2, History.decode(st.metadata().get("history")).epochs().size());
        }
        var png = ImageIO.read(dir.resolve("out/lenet.png").toFile());
        assertEquals(800, png.getWidth());
    }

    @Test
    void aDivergingRunStopsWithTheStep(@TempDir Path dir) throws Exception {
        Path data = SyntheticMnist.write(Files.createDirectory(dir.resolve("data")), 256, 32, 7);
        NonFiniteException e = assertThrows(NonFiniteException.class,
                () -> LenetTraining.run(config(data, dir.resolve("out")).withEpochs(3).withLr(1e37)));
        assertTrue(e.step() >= 1);
        assertTrue(e.getMessage().startsWith("training stopped at step " + e.step() + ": "), e.getMessage());
    }

    @Test
    void theFirstNonFiniteTensorIsNamed() {
        Device cpu = Kiln.device("cpu");
        Map<String, Tensor> grads = new LinkedHashMap<>();
        grads.put("a", cpu.fromArray(new float[] {1, 2, 3}, 3));
        grads.put("b", cpu.fromArray(new float[] {1, Float.POSITIVE_INFINITY, 3}, 3));
        grads.put("c", cpu.fromArray(new float[] {Float.NaN}, 1));
        assertEquals("b", Guards.firstNonFinite(grads));
        grads.remove("b");
        assertEquals("c", Guards.firstNonFinite(grads));
        grads.remove("c");
        assertNull(Guards.firstNonFinite(grads));
        grads.put("d", cpu.fromArray(new float[] {Float.MAX_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE}, 3));
        assertNull(Guards.firstNonFinite(grads), "large finite values are finite");
        grads.values().forEach(Tensor::close);
    }
}
