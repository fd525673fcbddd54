package dev.kiln.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.DType;
import dev.kiln.spi.Distribution;
import dev.kiln.spi.Philox;
import dev.kiln.spi.View;
import org.junit.jupiter.api.Test;

/** Random numbers bit-for-bit as {@link Philox} defines them, at any offset, length and layout, serial and parallel. */
class RandomTest {
    @Test
    void matchesPhiloxExactly() {
        for (Distribution d : Distribution.values()) {
            for (int n : new int[] {1, 3, 5, 7, 129, 50_001}) {
                try (Fixture f = new Fixture(Fixture.VECTOR)) {
                    long seed = f.rnd.nextLong(), offset = f.rnd.nextInt(1000);
                    View out = f.empty(DType.F32, n);
                    Fixture.VECTOR.random(d, seed, offset, out);
                    double[] got = f.read(out);
                    for (int i = 0; i < n; i++) {
                        float ref = d == Distribution.UNIFORM ? Philox.uniform(seed, offset, i) : Philox.normal(seed, offset, i);
                        assertEquals(ref, (float) got[i], 0f, d + " element " + i + " of " + n + " " + f.tag());
                    }
                }
            }
        }
    }

    @Test
    void stridedOutputTakesRowMajorOrder() {
        try (Fixture f = new Fixture(Fixture.VECTOR)) {
            int[] shape = {7, 9, 5};
            View out = f.permuted(DType.F32, shape, new int[] {2, 0, 1});
            Fixture.VECTOR.random(Distribution.NORMAL, 42, 3, out);
            double[] got = f.read(out);
            for (int i = 0; i < got.length; i++) assertEquals(Philox.normal(42, 3, i), (float) got[i], 0f, "element " + i);
        }
    }

    @Test
    void uniformIsInUnitIntervalWithMeanOneHalf() {
        try (Fixture f = new Fixture(Fixture.VECTOR)) {
            int n = 100_000;
            View out = f.empty(DType.F32, n);
            Fixture.VECTOR.random(Distribution.UNIFORM, f.seed, 0, out);
            double sum = 0;
            for (double v : f.read(out)) {
                if (!(v >= 0 && v < 1)) throw new AssertionError("uniform value " + v + " outside [0, 1) " + f.tag());
                sum += v;
            }
            assertEquals(0.5, sum / n, 0.01, f.tag());
        }
    }
}
