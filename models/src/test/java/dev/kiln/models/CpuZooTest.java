package dev.kiln.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Device;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.io.SafeTensors;
import dev.kiln.nn.Module;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zoo on the pure-Java CPU backend, plus what does not depend on the backend (parameter counts,
 * error messages, weight-file checks, kiln run), which runs here only.
 */
class CpuZooTest extends ZooTest {
    @Override protected String deviceName() { return "cpu"; }

    @Test
    void parameterCountsEqualTorchvision() {
        long[][] expected = {{61_100_840}, {138_357_544}, {132_863_336}, {6_624_904}, {11_689_512}, {25_557_032}, {61_706}};
        List<Function<Device, Module>> builders = List.of(
                d -> AlexNet.builder(d).build(), d -> VGG.builder(d).depth(16).build(), d -> VGG.builder(d).depth(11).build(),
                d -> GoogLeNet.builder(d).build(),
                d -> ResNet.builder(d).depth(18).build(), d -> ResNet.builder(d).depth(50).build(), d -> LeNet5.builder(d).build());
        for (int i = 0; i < builders.size(); i++) {
            try (Module m = builders.get(i).apply(device())) {
                assertEquals(expected[i][0], m.parameterCount(), m.getClass().getSimpleName());
            }
        }
    }

    @Test
    void kilnRunPrintsTopFiveAndTimes() {
        var out = new java.io.ByteArrayOutputStream();
        var old = System.out;
        System.setOut(new java.io.PrintStream(out, true));
        try {
            Run.run(new String[] {"lenet", "--backend", deviceName(), "--batch", "2"});
        } finally {
            System.setOut(old);
        }
        String text = out.toString();
        assertTrue(text.contains("output [2, 10]") && text.contains("top-5 classes") && text.contains("warm call"), text);
    }

    @Test
    void wrongInputShapesNameTheModelAndTheExpectedShape() {
        AlexNet alex = track(AlexNet.builder(device()).build());
        Tensor gray = track(device().zeros(1, 1, 224, 224));
        var e = assertThrows(ShapeException.class, () -> alex.forward(gray));
        assertTrue(e.getMessage().contains("AlexNet") && e.getMessage().contains("[N, 3"), e.getMessage());
        LeNet5 lenet = track(LeNet5.builder(device()).build());
        Tensor small = track(device().zeros(1, 1, 28, 28));
        e = assertThrows(ShapeException.class, () -> lenet.forward(small));
        assertTrue(e.getMessage().contains("LeNet5") && e.getMessage().contains("32"), e.getMessage());
    }

    @Test
    void weightsThatDoNotFitAreRejectedWholeNamingTheKeys(@TempDir Path dir) {
        LeNet5 lenet = track(LeNet5.builder(device()).build());
        Path f = dir.resolve("lenet.safetensors");
        lenet.save(f);
        AlexNet alex = track(AlexNet.builder(device()).numClasses(10).build());
        float before = track(alex.stateDict().get("features.0.weight").reshape(-1)).toFloatArray()[0];
        try (SafeTensors st = SafeTensors.open(f)) {
            var e = assertThrows(ShapeException.class, () -> alex.load(st));
            assertTrue(e.getMessage().contains("missing keys") && e.getMessage().contains("features.0.weight"), e.getMessage());
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        }
        assertEquals(before, track(alex.stateDict().get("features.0.weight").reshape(-1)).toFloatArray()[0], "nothing half-loaded");
    }
}
