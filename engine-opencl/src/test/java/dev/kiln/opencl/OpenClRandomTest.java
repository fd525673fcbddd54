package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.DType;
import dev.kiln.spi.Distribution;
import dev.kiln.spi.Philox;
import org.junit.jupiter.api.Test;

class OpenClRandomTest extends OpenClTestSupport {

    @Test
    void uniformMatchesPhiloxBitForBit() {
        for (int[] shape : new int[][] {{1}, {7}, {1029}, {3, 5, 7}}) {
            long s = rnd.nextLong(), off = rnd.nextInt(1 << 20) + ((long) rnd.nextInt(4) << 32);
            try (HostArray out = HostArray.strided(backend, DType.F32, rnd, shape)) {
                out.poison();
                backend.random(Distribution.UNIFORM, s, off, out.view);
                double[] ref = new double[out.numel()];
                for (int i = 0; i < ref.length; i++) ref[i] = Philox.uniform(s, off, i);
                Compare.exact("uniform seed " + s + " offset " + off + seedNote(), ref, out.download().values());
                assertTrue(out.untouchedOutsideView());
            }
        }
    }

    @Test
    void normalMatchesPhilox() {
        long s = rnd.nextLong(), off = rnd.nextInt(1000);
        try (HostArray out = HostArray.strided(backend, DType.F32, rnd, 33, 31)) {
            out.poison();
            backend.random(Distribution.NORMAL, s, off, out.view);
            double[] got = out.download().values();
            double mismatch = 0;
            for (int i = 0; i < got.length; i++) {
                double want = Philox.normal(s, off, i);
                // Float64 Box-Muller on both sides: equal up to the last bit of float32 rounding.
                assertEquals(want, got[i], 2e-7 * Math.max(1, Math.abs(want)), "normal element " + i + seedNote());
                if (want != got[i]) mismatch++;
            }
            assertTrue(mismatch <= got.length / 100, mismatch + " of " + got.length + " normals differ in the last bit" + seedNote());
        }
    }

    @Test
    void sameSeedSameNumbersAndCountersAdvance() {
        long s = rnd.nextLong();
        try (HostArray a = HostArray.contiguous(backend, DType.F32, 10); HostArray b = HostArray.contiguous(backend, DType.F32, 10)) {
            backend.random(Distribution.UNIFORM, s, 0, a.view);
            backend.random(Distribution.UNIFORM, s, 0, b.view);
            Compare.exact("same seed", a.download().values(), b.download().values());
            backend.random(Distribution.UNIFORM, s, Philox.countersUsed(Distribution.UNIFORM, 10), b.view);
            double[] ref = new double[10];
            for (int i = 0; i < 10; i++) ref[i] = Philox.uniform(s, 0, 12 + i);
            Compare.exact("next call continues the stream", ref, b.download().values());
        }
    }
}
