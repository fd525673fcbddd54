package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.DType;
import dev.kiln.Generator;
import dev.kiln.Tensor;
import dev.kiln.spi.Distribution;
import dev.kiln.spi.Philox;
import dev.kiln.spi.View;
import dev.kiln.tck.ref.PhiloxRef;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random numbers: {@code rand} matches Philox 4x32-10 bit for bit and {@code randn} to 1e-6, so a
 * seed gives the same numbers on every backend; the generator advances; and the moments of 1e5
 * samples sit within 6 standard errors (a false failure has odds below 1e-8).
 */
public abstract class RandomTestCase extends KilnTestCase {

    @Test
    void referencePhiloxMatchesPublishedVectors() {
        // Random123's kat_vectors for philox4x32-10
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                PhiloxRef.philox4x32(new int[] {0, 0, 0, 0}, new int[] {0, 0}));
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                PhiloxRef.philox4x32(new int[] {-1, -1, -1, -1}, new int[] {-1, -1}));
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                PhiloxRef.philox4x32(new int[] {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, new int[] {0xa4093822, 0x299f31d0}));
    }

    @Test
    void engineApiPhiloxAgreesWithTheReference() {
        for (int t = 0; t < 200; t++) {
            long seed = rnd.nextLong(), counter = rnd.nextLong();
            assertArrayEquals(PhiloxRef.philox4x32(new int[] {(int) counter, (int) (counter >>> 32), 0, 0}, new int[] {(int) seed, (int) (seed >>> 32)}),
                    Philox.block(seed, counter), "seed " + seed + " counter " + counter);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 4, 7, 129, 1000})
    void uniformIsPhiloxBitForBit(int n) {
        Generator g = new Generator(seed);
        Tensor a = track(device().rand(g, n));
        float[] v = a.toFloatArray();
        for (int i = 0; i < n; i++) {
            float expected = (float) PhiloxRef.uniform(seed, 0, i);
            if (Float.floatToRawIntBits(v[i]) != Float.floatToRawIntBits(expected)) {
                fail("rand element " + i + " of " + n + " is " + v[i] + ", Philox gives " + expected + " (" + seedNote() + ")");
            }
        }
        assertEquals(Philox.countersUsed(Distribution.UNIFORM, n), g.offset(), "counters consumed");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 7, 129, 1000})
    void normalIsPhiloxWithinOneMillionth(int n) {
        Generator g = new Generator(seed);
        float[] v = track(device().randn(g, n)).toFloatArray();
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) expected[i] = PhiloxRef.normal(seed, 0, i);
        assertClose("randn against Philox", expected, v, 1e-6);
        ElementChecks.assertEach("randn elementwise", expected, ElementChecks.toDouble(v), 1e-5, false, seedNote());
        assertEquals(Philox.countersUsed(Distribution.NORMAL, n), g.offset(), "counters consumed");
    }

    @Test
    void shapedDrawsFollowRowMajorOrder() {
        Generator g = new Generator(seed);
        Tensor a = track(device().rand(g, 3, 5, 7));
        assertEquals("[3, 5, 7]", a.shape().toString());
        float[] v = a.toFloatArray();
        for (int i = 0; i < v.length; i++) assertEquals((float) PhiloxRef.uniform(seed, 0, i), v[i], "element " + i + " (" + seedNote() + ")");
    }

    @Test
    void sameSeedSameNumbersAndSuccessiveDrawsAdvance() {
        Generator g1 = new Generator(seed), g2 = new Generator(seed);
        float[] a1 = track(device().rand(g1, 10)).toFloatArray();
        float[] a2 = track(device().rand(g2, 10)).toFloatArray();
        assertArrayEquals(a1, a2, "same seed, same numbers");
        long after = g1.offset();
        assertEquals(3, after, "10 uniforms use 3 counters");
        float[] b1 = track(device().rand(g1, 10)).toFloatArray();
        assertFalse(Arrays.equals(a1, b1), "a second draw gives new numbers");
        for (int i = 0; i < 10; i++) assertEquals((float) PhiloxRef.uniform(seed, after, i), b1[i], "second draw starts at counter " + after);
        float[] n1 = track(device().randn(g1, 5)).toFloatArray();
        assertEquals(after + 3 + 3, g1.offset(), "5 normals use 3 counters");
        for (int i = 0; i < 5; i++) assertEquals(PhiloxRef.normal(seed, after + 3, i), n1[i], 1e-5 * Math.max(1, Math.abs(n1[i])));
        Generator other = new Generator(seed + 1);
        assertFalse(Arrays.equals(a1, track(device().rand(other, 10)).toFloatArray()), "another seed, other numbers");
    }

    @Test
    void uniformValuesAreMultiplesOfTwoToTheMinus24InZeroOne() {
        float[] v = track(device().rand(new Generator(seed), 4099)).toFloatArray();
        for (float x : v) {
            assertTrue(x >= 0 && x < 1, "uniform value " + x + " outside [0, 1) (" + seedNote() + ")");
            assertEquals(0, (x * 16777216f) % 1f, "uniform value " + x + " is not k / 2^24");
        }
    }

    @Test
    void uniformMoments() {
        int n = 100_000;
        double[] v = ElementChecks.toDouble(track(device().rand(new Generator(seed), n)).toFloatArray());
        double mean = Arrays.stream(v).average().orElseThrow();
        double var = Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / (n - 1);
        // standard errors: mean sqrt(1/12/n) = 9.1e-4, variance sqrt((1/80 - 1/144)/n) = 2.4e-4
        assertEquals(0.5, mean, 6 * 9.13e-4, "mean of " + n + " uniforms (" + seedNote() + ")");
        assertEquals(1 / 12.0, var, 6 * 2.36e-4, "variance of " + n + " uniforms (" + seedNote() + ")");
    }

    @Test
    void normalMoments() {
        int n = 100_000;
        double[] v = ElementChecks.toDouble(track(device().randn(new Generator(seed), n)).toFloatArray());
        double mean = Arrays.stream(v).average().orElseThrow();
        double var = Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / (n - 1);
        // standard errors: mean 1/sqrt(n) = 3.2e-3, variance sqrt(2/n) = 4.5e-3
        assertEquals(0, mean, 6 * 3.17e-3, "mean of " + n + " normals (" + seedNote() + ")");
        assertEquals(1, var, 6 * 4.48e-3, "variance of " + n + " normals (" + seedNote() + ")");
        long beyond3 = Arrays.stream(v).filter(x -> Math.abs(x) > 3).count();
        // P(|z| > 3) = 0.0027: 270 expected, standard deviation 16.4
        assertEquals(270, beyond3, 6 * 16.4, "samples beyond 3 sigma (" + seedNote() + ")");
    }

    /** Counters past 2^32 carry into the counter's second word (a 32-bit counter would repeat numbers). */
    @Test
    void countersCrossTheThirtyTwoBitBoundary() {
        Generator g = new Generator(seed);
        g.reserve(Distribution.UNIFORM, ((1L << 32) - 2) * 4);
        long start = g.offset();
        assertEquals((1L << 32) - 2, start);
        float[] u = track(device().rand(g, 16)).toFloatArray();
        for (int i = 0; i < 16; i++) assertEquals((float) PhiloxRef.uniform(seed, start, i), u[i], 0, "uniform element " + i + " (" + seedNote() + ")");
        long nStart = g.offset();
        float[] n = track(device().randn(g, 9)).toFloatArray();
        for (int i = 0; i < 9; i++) assertEquals(PhiloxRef.normal(seed, nStart, i), n[i], 1e-5 * Math.max(1, Math.abs(n[i])), "normal element " + i);
    }

    /** The random primitive numbers elements row-major in the output view, whatever its strides. */
    @Test
    void primitiveFillsAStridedView() {
        Tensor buf = track(device().zeros(5, 3));
        View b = buf.view();
        View transposed = new View(b.buffer(), DType.F32, b.offset(), new int[] {3, 5}, new long[] {1, 3});
        device().backend().random(Distribution.UNIFORM, seed, 7, transposed);
        float[] v = buf.toFloatArray();
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 5; j++) {
                assertEquals((float) PhiloxRef.uniform(seed, 7, i * 5 + j), v[j * 3 + i], 0, "element (" + i + ", " + j + ") (" + seedNote() + ")");
            }
        }
    }

    @Test
    void emptyDrawDoesNotAdvance() {
        Generator g = new Generator(seed);
        Tensor e = track(device().rand(g, 0, 4));
        assertEquals(0, e.numel());
        assertEquals(0, g.offset());
        assertEquals(DType.F32, e.dtype());
    }
}
