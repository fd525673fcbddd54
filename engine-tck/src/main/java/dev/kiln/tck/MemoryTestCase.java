package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ClosedTensorException;
import dev.kiln.DType;
import dev.kiln.DeviceOutOfMemoryException;
import dev.kiln.Kiln;
import dev.kiln.KilnException;
import dev.kiln.Scope;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.spi.View;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Memory: upload/download round trips of every stored dtype (bit exact), device-to-device copy,
 * fill, zero-size tensors, reshape sharing storage, idempotent close, scopes that free everything
 * not kept, and an absurd allocation that fails cleanly and leaves the device usable.
 */
public abstract class MemoryTestCase extends KilnTestCase {

    private void assumeStored(DType t) {
        Assumptions.assumeTrue(device().backend().dtypes().contains(t), "backend " + device() + " does not store " + t);
    }

    private static MemorySegment host(long bytes) {
        return Arena.ofAuto().allocate(Math.max(1, bytes), 64).asSlice(0, bytes);
    }

    static Stream<Arguments> roundTrips() {
        List<Arguments> out = new ArrayList<>();
        for (DType t : DType.values()) for (int n : new int[] {1, 7, 129, 4099}) out.add(Arguments.of(t, n));
        return out.stream();
    }

    /** Random bytes up and down: every bit pattern (NaN payloads and subnormals included) comes back unchanged. */
    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("roundTrips")
    void uploadDownloadIsBitExact(DType t, int n) {
        assumeStored(t);
        MemorySegment src = host((long) n * t.byteSize());
        byte[] bytes = new byte[(int) src.byteSize()];
        rnd.nextBytes(bytes);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, src, 0, bytes.length);
        Tensor d = track(device().fromSegment(src, t, n));
        assertEquals(t, d.dtype());
        MemorySegment back = host(src.byteSize());
        d.copyTo(back);
        assertArrayEquals(bytes, back.toArray(ValueLayout.JAVA_BYTE), t + " round trip (" + seedNote() + ")");
    }

    @Test
    void arrayRoundTrips() {
        float[] f = new float[129];
        for (int i = 0; i < f.length; i++) f[i] = (float) rnd.nextGaussian();
        f[0] = Float.NaN;
        f[1] = -0f;
        f[2] = Float.MIN_VALUE;
        f[3] = Float.NEGATIVE_INFINITY;
        float[] back = track(device().fromArray(f, 3, 43)).toFloatArray();
        for (int i = 0; i < f.length; i++) assertEquals(Float.floatToRawIntBits(f[i]), Float.floatToRawIntBits(back[i]), "F32 element " + i);
        long[] l = rnd.longs(129).toArray();
        l[0] = Long.MIN_VALUE;
        l[1] = Long.MAX_VALUE;
        assertArrayEquals(l, track(device().fromArray(l, 129)).toLongArray(), "I64");
        int[] n = rnd.ints(129).toArray();
        n[0] = Integer.MIN_VALUE;
        assertArrayEquals(n, track(device().fromArray(n, 129)).toIntArray(), "I32");
        assertEquals(DType.I32, track(device().fromArray(n, 129)).dtype());
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void halfPrecisionStorageConvertsToF32(DType t) {
        assumeStored(t);
        HostTensor x = randn(7, 19);
        Tensor d = track(HostCodec.upload(device(), x, t));
        double[] expected = Arrays.stream(x.data).map(v -> HostCodec.stored(v, t)).toArray();
        assertArrayEquals(expected, HostCodec.decode(d), 0, "stored " + t);
        if (t.isFloating()) assertArrayEquals(expected, ElementChecks.toDouble(d.toFloatArray()), 0, t + " read as F32");
    }

    /** The device-to-device copy primitive, at byte offsets into both buffers. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "I64"})
    void deviceToDeviceCopy(DType t) {
        HostTensor x = t.isFloating() ? randn(129) : HostTensor.randint(rnd, -1_000_000, 1_000_000, 129);
        Tensor src = track(x.to(device(), t));
        Tensor dst = track(device().full(t, -1, 140));
        long es = t.byteSize();
        device().backend().copy(src.view().buffer(), 5 * es, dst.view().buffer(), 3 * es, 100 * es);
        double[] expected = new double[140];
        Arrays.fill(expected, -1);
        System.arraycopy(x.data, 5, expected, 3, 100);
        assertExact("copy of 100 elements from 5 to 3", expected, dst);
        assertExact("source untouched", x.data, src);
    }

    @Test
    void copiesAreIndependent() {
        HostTensor x = randn(5, 3);
        Tensor a = upload(x);
        Tensor b = track(a.copy());
        a.fill(7);
        assertExact("copy keeps its values", x.data, b);
        double[] sevens = new double[15];
        Arrays.fill(sevens, 7);
        assertExact("filled original", sevens, a);
        Tensor c = track(device().zeros(5, 3));
        c.assign(b);
        assertExact("assign", x.data, c);
        Tensor row = upload(randn(3));
        c.assign(row);
        double[] rows = new double[15];
        for (int i = 0; i < 15; i++) rows[i] = row.toFloatArray()[i % 3];
        assertExact("assign broadcast", rows, c);
    }

    static Stream<Arguments> fills() {
        List<Arguments> out = new ArrayList<>();
        for (DType t : DType.values()) {
            for (double v : new double[] {0, 1, -2.5, 1e4, Double.NaN, Double.NEGATIVE_INFINITY}) {
                if (t.isFloating() || Double.isFinite(v)) out.add(Arguments.of(t, v));   // integers hold no NaN or infinity
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("fills")
    void fill(DType t, double value) {
        assumeStored(t);
        double expected = t.isFloating() ? HostCodec.stored(value, t) : (long) value;
        for (int[] shape : new int[][] {{}, {1}, {7}, {3, 43}, {2, 1, 3, 1, 5}}) {
            Tensor f = track(device().full(t, value, shape));
            double[] e = new double[(int) f.numel()];
            Arrays.fill(e, expected);
            assertArrayEquals(e, HostCodec.decode(f), 0, "full " + t + " " + value + " " + Arrays.toString(shape));
            f.fill(value == 0 ? 1 : 0);
            Arrays.fill(e, value == 0 ? 1 : 0);
            assertArrayEquals(e, HostCodec.decode(f), 0, "fill");
        }
    }

    @Test
    void creationHelpers() {
        assertExact("zeros", new double[6], track(device().zeros(2, 3)));
        assertExact("ones", new double[] {1, 1, 1}, track(device().ones(3)));
        assertExact("arange", new double[] {0, 1, 2, 3, 4}, track(device().arange(5)));
        assertEquals(DType.I64, track(device().arange(5)).dtype());
        assertExact("arange with step", new double[] {1, 1.5, 2, 2.5}, track(device().arange(DType.F32, 1, 3, 0.5)));
        assertExact("arange downward", new double[] {5, 3, 1}, track(device().arange(DType.I32, 5, 0, -2)));
        assertEquals(0, track(device().arange(DType.F32, 3, 1, 1)).numel());
        Tensor s = track(device().scalar(2.5));
        assertEquals(0, s.rank());
        assertEquals(2.5, s.item());
    }

    @Test
    void zeroSizeTensors() {
        for (int[] shape : new int[][] {{0}, {3, 0}, {0, 4}, {2, 0, 3}}) {
            Tensor z = track(device().zeros(shape));
            assertEquals(0, z.numel());
            assertEquals(0, z.toFloatArray().length);
            assertEquals(Arrays.toString(shape), track(z.add(1)).shape().toString());
            assertEquals(Arrays.toString(shape), track(z.exp()).shape().toString());
            assertEquals(Arrays.toString(shape), track(z.copy()).shape().toString());
            assertEquals(0, track(z.reshape(-1)).numel());
            assertEquals(0.0, track(z.sum()).item());
            z.copyTo(MemorySegment.ofArray(new byte[0]));
        }
        Tensor e = track(device().fromArray(new float[0], 0, 5));
        Tensor parts = track(Tensor.concat(List.of(e, track(device().ones(2, 5))), 0));
        assertEquals("[2, 5]", parts.shape().toString());
        Tensor empty = track(device().empty(DType.I64, 0));
        assertEquals(0, empty.numel());
        assertEquals(0, track(device().zeros(DType.I32, 0, 3)).toIntArray().length);
    }

    @Test
    void reshapeSharesStorage() {
        long base = device().bytesInUse();
        Tensor a = device().zeros(4, 6);
        long one = device().bytesInUse() - base;
        assertTrue(one >= 24 * 4, "a 4 x 6 F32 tensor takes at least 96 bytes, took " + one);
        Tensor b = a.reshape(2, 12);
        Tensor c = b.reshape(-1);
        assertEquals(base + one, device().bytesInUse(), "reshapes allocate nothing");
        a.fill(3);
        double[] threes = new double[24];
        Arrays.fill(threes, 3);
        assertExact("reshape sees writes to its source", threes, c);
        a.close();
        assertEquals(base + one, device().bytesInUse(), "storage lives while a reshape holds it");
        assertExact("reshape outlives its source", threes, b);
        assertThrows(ClosedTensorException.class, a::toFloatArray);
        b.close();
        c.close();
        assertEquals(base, device().bytesInUse(), "freed with the last alias");
    }

    @Test
    void sliceOfLeadingRowsSharesOrCopiesCorrectly() {
        HostTensor x = randn(6, 4);
        Tensor a = upload(x);
        Tensor rows = track(a.slice(0, 2, 4, 1));
        assertExact("rows 2, 3", Arrays.copyOfRange(x.data, 8, 16), rows);
        a.fill(0);
        // a slice either shares (sees the fill) or copied (does not): it must never mix the two
        float[] v = rows.toFloatArray();
        boolean shared = v[0] == 0;
        for (int i = 0; i < v.length; i++) assertEquals(shared ? 0.0 : x.data[8 + i], v[i], 0, "slice element " + i);
    }

    @Test
    void closeIsIdempotent() {
        long base = device().bytesInUse();
        Tensor t = device().ones(129);
        assertTrue(device().bytesInUse() > base);
        t.close();
        long after = device().bytesInUse();
        t.close();
        t.close();
        assertEquals(after, device().bytesInUse(), "a second close frees nothing more");
        assertEquals(base, after);
        assertTrue(t.isClosed());
    }

    @Test
    void scopeFreesEverythingNotKept() {
        long base = device().bytesInUse();
        HostTensor x = randn(7, 5), w = randn(5, 3);
        Tensor kept;
        try (Scope s = Kiln.scope()) {
            Tensor a = x.to(device()), b = w.to(device());
            Tensor h = a.matmul(b).relu().add(1).mul(a.abs().sum().reshape(1, 1));
            kept = s.keep(h.sum(1));
            assertTrue(device().bytesInUse() > base);
        }
        assertFalse(kept.isClosed(), "kept tensor survives");
        double[] ref = new double[7];
        double total = Arrays.stream(x.data).map(Math::abs).sum();
        for (int i = 0; i < 7; i++) {
            for (int j = 0; j < 3; j++) {
                double acc = 0;
                for (int k = 0; k < 5; k++) acc += x.get(i, k) * w.get(k, j);
                ref[i] += (Math.max(acc, 0) + 1) * total;
            }
        }
        assertClose("kept result", new HostTensor(ref, 7), kept);
        kept.close();
        assertEquals(base, device().bytesInUse(), "every temporary of the scope was freed");
    }

    @Test
    void nestedScopesHandKeptTensorsOutward() {
        long base = device().bytesInUse();
        Tensor survivor;
        Tensor inner;
        try (Scope outer = Kiln.scope()) {
            try (Scope in = Kiln.scope()) {
                device().ones(100);
                inner = in.keep(device().full(2, 3));
            }
            assertFalse(inner.isClosed(), "kept by the inner scope, now owned by the outer one");
            survivor = outer.keep(inner.mul(2));
        }
        assertTrue(inner.isClosed(), "the outer scope closed what the inner one handed it");
        assertExact("survivor", new double[] {4, 4, 4}, survivor);
        survivor.close();
        assertEquals(base, device().bytesInUse());
    }

    @Test
    void tensorsClosedEarlyInsideAScopeAreNotClosedTwice() {
        long base = device().bytesInUse();
        try (Scope s = Kiln.scope()) {
            Tensor a = device().ones(10);
            a.close();
            Tensor b = device().ones(10);
            s.keep(b).close();
        }
        assertEquals(base, device().bytesInUse());
    }

    /** 4 TiB: no device has it. The failure is typed and the device keeps working. */
    @Test
    void absurdAllocationFailsCleanly() {
        long base = device().bytesInUse();
        KilnException e = assertThrows(KilnException.class, () -> track(device().empty(DType.F32, 1 << 20, 1 << 20)));
        assertTrue(e instanceof DeviceOutOfMemoryException || e instanceof ShapeException, "out of memory or shape error, got " + e);
        assertEquals(base, device().bytesInUse(), "nothing held after the failure");
        HostTensor x = randn(129);
        assertClose("device works after the failure", x.map(v -> 2 * v), track(upload(x).mul(2)));
        Tensor big = track(device().zeros(1 << 16));
        assertEquals(0.0, track(big.sum()).item());
    }

    @Test
    void viewsDescribeTheirWindow() {
        Tensor a = upload(randn(3, 4));
        View v = a.view();
        assertArrayEquals(new int[] {3, 4}, v.shape());
        assertArrayEquals(new long[] {4, 1}, v.strides());
        assertTrue(v.isContiguous());
        assertEquals(DType.F32, v.dtype());
        Tensor rows = track(track(a.reshape(12)).slice(0, 4, 12, 1));
        assertEquals(8, rows.numel());
        assertTrue(rows.view().buffer().byteSize() >= 48);
    }

    @Test
    void toOwnDeviceCopies() {
        String mine = device().name();
        HostTensor x = randn(7, 3);
        Tensor a = upload(x);
        Tensor same = track(a.to(device()));
        assertExact("to(own device)", x.data, same);
        assertFalse(same == a, "to(device) copies");
        assertEquals(mine, same.device().name());
    }
}
