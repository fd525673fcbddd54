package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.DropoutResult;
import dev.kiln.Functional;
import dev.kiln.Generator;
import dev.kiln.KilnException;
import dev.kiln.Tensor;
import dev.kiln.spi.Distribution;
import dev.kiln.spi.Philox;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Dropout: the mask is exactly Philox UNIFORM >= p scaled by 1/(1-p), the same on every backend for a seed and offset. */
public abstract class DropoutTestCase extends KilnTestCase {

    /** The rule, from the Philox definition: element i kept when its uniform >= p. */
    private static double[] expectedMask(long seed, long offset, long n, double p) {
        double[] m = new double[(int) n];
        float scale = (float) (1 / (1 - p));
        for (int i = 0; i < n; i++) m[i] = Philox.uniform(seed, offset, i) >= p ? scale : 0;
        return m;
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.1, 0.3, 0.5, 0.9})
    void maskFollowsPhiloxRuleExactly(double p) {
        int[] shape = {3, 7, 13};
        HostTensor x = randn(shape);
        Generator gen = new Generator(seed);
        gen.reserve(Distribution.UNIFORM, 1 + rnd.nextInt(50));  // a nonzero offset
        long offset = gen.offset();
        DropoutResult r = track(Functional.dropout(upload(x), p, gen));
        double[] mask = expectedMask(seed, offset, x.numel(), p);
        assertExact("dropout mask p=" + p, mask, r.mask());
        double[] out = new double[x.numel()];
        for (int i = 0; i < out.length; i++) out[i] = (float) x.data[i] * mask[i];
        assertClose("dropout output p=" + p, new HostTensor(out, shape), r.out());
        assertTrue(gen.offset() > offset, "dropout advances the generator");
    }

    /**
     * Kept fraction of 8192 draws: its standard deviation is at most 0.0056, so a bound of 0.06 is
     * more than 10 deviations, which chance does not reach; a biased or constant mask does.
     */
    @ParameterizedTest
    @ValueSource(doubles = {0.2, 0.5, 0.8})
    void keptFractionIsNearOneMinusP(double p) {
        Tensor x = track(device().ones(8192));
        DropoutResult r = track(Functional.dropout(x, p, new Generator(seed)));
        float[] mask = r.mask().toFloatArray();
        long kept = 0;
        for (float m : mask) if (m != 0) kept++;
        double rate = (double) kept / mask.length;
        assertTrue(Math.abs(rate - (1 - p)) < 0.06, "kept fraction " + rate + " for p=" + p + " (" + seedNote() + ")");
    }

    /**
     * The comparison is {@code u >= p} in exact arithmetic: an element whose uniform equals p is kept,
     * and one whose uniform lies just below p (closer than F32 can tell apart at p) is dropped.
     */
    @Test
    void boundaryOfTheKeepRuleIsExact() {
        int n = 64;
        int at = 0;
        while (Philox.uniform(seed, 0, at) == 0) at++;  // p = 0 is the identity path; any other uniform will do
        double u = Philox.uniform(seed, 0, at);
        Tensor x = track(device().ones(n));
        for (double p : new double[] {u, Math.nextUp(u)}) {
            DropoutResult r = track(Functional.dropout(x, p, new Generator(seed)));
            assertExact("dropout mask at p=" + p + " (uniform " + u + " at element " + at + ")", expectedMask(seed, 0, n, p), r.mask());
        }
    }

    @Test
    void sameSeedSameMaskAndNextCallDiffers() {
        Tensor x = upload(randn(5, 31));
        DropoutResult a = track(Functional.dropout(x, 0.5, new Generator(seed)));
        DropoutResult b = track(Functional.dropout(x, 0.5, new Generator(seed)));
        assertArrayEquals(a.mask().toFloatArray(), b.mask().toFloatArray(), "same seed, same mask (" + seedNote() + ")");
        Generator g = new Generator(seed);
        DropoutResult first = track(Functional.dropout(x, 0.5, g));
        DropoutResult second = track(Functional.dropout(x, 0.5, g));
        assertFalse(Arrays.equals(first.mask().toFloatArray(), second.mask().toFloatArray()), "the next call draws new numbers (" + seedNote() + ")");
    }

    @Test
    void zeroProbabilityIsTheIdentity() {
        HostTensor x = randn(4, 9);
        DropoutResult r = track(Functional.dropout(upload(x), 0, new Generator(seed)));
        assertExact("p=0 output", Arrays.stream(x.data).toArray(), r.out());
        double[] ones = new double[x.numel()];
        Arrays.fill(ones, 1);
        assertExact("p=0 mask", ones, r.mask());
    }

    @Test
    void backwardMultipliesByTheMask() {
        int[] shape = {2, 3, 5};
        HostTensor x = randn(shape), g = randn(shape);
        DropoutResult r = track(Functional.dropout(upload(x), 0.4, new Generator(seed)));
        Tensor dx = track(Functional.dropoutBackward(upload(g), r.mask()));
        double[] mask = expectedMask(seed, 0, x.numel(), 0.4), expected = new double[x.numel()];
        for (int i = 0; i < expected.length; i++) expected[i] = g.data[i] * mask[i];
        assertClose("dropoutBackward", new HostTensor(expected, shape), dx);
    }

    @Test
    void probabilityOutsideZeroOneIsRejected() {
        Tensor x = upload(randn(3));
        for (double p : new double[] {-0.1, 1, 1.5, Double.NaN}) {
            KilnException e = assertThrows(KilnException.class, () -> Functional.dropout(x, p, new Generator(seed)));
            assertTrue(e.getMessage().contains("dropout"), e.getMessage());
        }
    }
}
