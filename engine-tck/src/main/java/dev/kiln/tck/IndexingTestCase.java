package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.DType;
import dev.kiln.DTypeException;
import dev.kiln.KilnException;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.tck.ref.Layout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * gather, indexSelect, scatterAdd (duplicates accumulate), indexAdd and oneHot, with I32 and I64
 * indices, on every axis; and out-of-range indices, which must never crash the process: the
 * backend either reports a {@link KilnException} or (as the Backend contract allows) writes 0 / skips.
 */
public abstract class IndexingTestCase extends KilnTestCase {

    static Stream<Arguments> axesAndIndexTypes() {
        List<Arguments> out = new ArrayList<>();
        for (int axis = -3; axis < 3; axis++) for (DType t : new DType[] {DType.I32, DType.I64}) out.add(Arguments.of(axis, t));
        return out.stream();
    }

    private Tensor index(HostTensor h, DType t) { return track(h.to(device(), t)); }

    private static HostTensor abs(HostTensor h) { return h.map(Math::abs); }

    /** Accumulations may cancel: the error is measured against the same accumulation of magnitudes. */
    private void assertSums(String what, HostTensor expected, HostTensor magnitudes, Tensor actual) {
        assertEquals(Arrays.toString(expected.shape), actual.shape().toString(), what + ": shape");
        ElementChecks.assertScaled(what, expected.data, magnitudes.data, actual.toFloatArray(), tolerance(), seedNote());
    }

    @ParameterizedTest(name = "axis {0} index {1}")
    @MethodSource("axesAndIndexTypes")
    void gather(int axis, DType it) {
        int a = axis < 0 ? axis + 3 : axis;
        int[] shape = {4, 5, 7};
        HostTensor x = randn(shape);
        int[] ishape = {3, 4, 6};   // smaller than x off the axis, as torch.gather allows; may be longer along it
        ishape[a] = 9;
        HostTensor idx = HostTensor.randint(rnd, 0, shape[a], ishape);
        Tensor r = track(upload(x).gather(axis, index(idx, it)));
        assertEquals(Arrays.toString(ishape), r.shape().toString());
        // the reference reads x at the index's coordinates: x cropped to the index shape off the axis
        HostTensor cropped = x;
        for (int d = 0; d < 3; d++) if (d != a) cropped = Layout.slice(cropped, d, 0, ishape[d], 1);
        assertExact("gather axis " + axis, Layout.gather(cropped, a, idx).data, r);
    }

    @ParameterizedTest(name = "axis {0} index {1}")
    @MethodSource("axesAndIndexTypes")
    void indexSelect(int axis, DType it) {
        int a = axis < 0 ? axis + 3 : axis;
        int[] shape = {4, 5, 7};
        HostTensor x = randn(shape);
        HostTensor idx = HostTensor.randint(rnd, 0, shape[a], 11);   // repeats included
        Tensor r = track(upload(x).indexSelect(axis, index(idx, it)));
        assertExact("indexSelect axis " + axis, Layout.indexSelect(x, a, idx).data, r);
        Tensor empty = track(upload(x).indexSelect(axis, index(HostTensor.zeros(0), it)));
        assertEquals(0, empty.numel());
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"I32", "I64"})
    void embeddingLookupOfIntegerTable(DType it) {
        HostTensor table = HostTensor.randint(rnd, -1000, 1000, 129, 3);
        HostTensor ids = HostTensor.randint(rnd, 0, 129, 17);
        Tensor r = track(track(table.to(device(), DType.I64)).indexSelect(0, index(ids, it)));
        assertEquals(DType.I64, r.dtype());
        assertExact("integer table lookup", Layout.indexSelect(table, 0, ids).data, r);
    }

    @ParameterizedTest(name = "axis {0} index {1}")
    @MethodSource("axesAndIndexTypes")
    void scatterAddAccumulatesDuplicates(int axis, DType it) {
        int a = axis < 0 ? axis + 3 : axis;
        int[] shape = {4, 5, 6};
        HostTensor self = randn(shape);
        int[] sshape = {3, 4, 5};
        sshape[a] = 8;                                   // more sources than slots: duplicates are certain
        HostTensor src = randn(sshape);
        int[] ishape = sshape.clone();
        ishape[a] = 7;                                   // the index may cover only part of src
        HostTensor idx = HostTensor.randint(rnd, 0, shape[a], ishape);
        Tensor r = track(upload(self).scatterAdd(axis, index(idx, it), upload(src)));
        assertSums("scatterAdd axis " + axis, Layout.scatterAdd(self, a, idx, src), Layout.scatterAdd(abs(self), a, idx, abs(src)), r);
    }

    @Test
    void scatterAddAllToOneSlot() {
        HostTensor self = HostTensor.zeros(3, 1), src = randn(3, 129);
        HostTensor idx = HostTensor.zeros(3, 129);
        Tensor r = track(upload(self).scatterAdd(1, index(idx, DType.I64), upload(src)));
        assertSums("129 additions into one slot", Layout.scatterAdd(self, 1, idx, src), Layout.scatterAdd(self, 1, idx, abs(src)), r);
    }

    @ParameterizedTest(name = "axis {0} index {1}")
    @MethodSource("axesAndIndexTypes")
    void indexAdd(int axis, DType it) {
        int a = axis < 0 ? axis + 3 : axis;
        int[] shape = {4, 5, 6};
        HostTensor self = randn(shape);
        HostTensor idx = HostTensor.randint(rnd, 0, shape[a], 9);
        int[] sshape = shape.clone();
        sshape[a] = 9;
        HostTensor src = randn(sshape);
        Tensor r = track(upload(self).indexAdd(axis, index(idx, it), upload(src)));
        assertSums("indexAdd axis " + axis, Layout.indexAdd(self, a, idx, src), Layout.indexAdd(abs(self), a, idx, abs(src)), r);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"I32", "I64"})
    void integerScatterAdd(DType dtype) {
        HostTensor self = HostTensor.randint(rnd, -50, 50, 7), src = HostTensor.randint(rnd, -50, 50, 20), idx = HostTensor.randint(rnd, 0, 7, 20);
        Tensor r = track(track(self.to(device(), dtype)).scatterAdd(0, index(idx, DType.I64), track(src.to(device(), dtype))));
        assertEquals(dtype, r.dtype());
        assertExact("integer scatterAdd", Layout.scatterAdd(self, 0, idx, src).data, r);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"I32", "I64"})
    void oneHot(DType it) {
        HostTensor labels = HostTensor.randint(rnd, 0, 10, 3, 7);
        Tensor r = track(index(labels, it).oneHot(10));
        assertEquals(DType.F32, r.dtype());
        assertEquals("[3, 7, 10]", r.shape().toString());
        double[] expected = new double[3 * 7 * 10];
        for (int i = 0; i < labels.numel(); i++) expected[i * 10 + (int) labels.data[i]] = 1;
        assertExact("oneHot", expected, r);
        Tensor one = track(index(new HostTensor(new double[] {0}, 1), it).oneHot(1));
        assertExact("oneHot with one class", new double[] {1}, one);
    }

    @Test
    void floatIndicesAreRejected() {
        Tensor x = upload(randn(3, 4)), f = upload(new HostTensor(new double[] {0, 1}, 2));
        DTypeException e = assertThrows(DTypeException.class, () -> track(x.indexSelect(0, f)));
        ErrorTestCase.assertNames(e, "indexSelect", "F32");
        assertThrows(DTypeException.class, () -> track(x.gather(1, track(device().zeros(3, 4)))));
        assertThrows(DTypeException.class, () -> track(f.oneHot(3)));
        assertThrows(ShapeException.class, () -> track(x.indexSelect(0, track(device().zeros(DType.I64, 2, 2)))));
        assertThrows(ShapeException.class, () -> track(x.gather(0, track(device().zeros(DType.I64, 3)))));
    }

    static Stream<Arguments> outOfRange() {
        List<Arguments> out = new ArrayList<>();
        for (long bad : new long[] {-1, 3, 1L << 40, Long.MIN_VALUE}) for (DType t : new DType[] {DType.I32, DType.I64}) out.add(Arguments.of(bad, t));
        return out.stream();
    }

    /**
     * An index outside the axis must not crash or read another tensor's memory: the op throws a
     * KilnException, or completes with 0 where the index was bad, and the device stays usable.
     */
    @ParameterizedTest(name = "index {0} as {1}")
    @MethodSource("outOfRange")
    void outOfRangeIndexIsReportedOrZero(long bad, DType it) {
        long stored = it == DType.I32 ? (int) bad : bad;
        if (stored >= 0 && stored < 3) stored = 3;       // a 2^40 that wrapped into range as I32 is made bad again
        HostTensor x = HostTensor.uniform(rnd, 1, 2, 3, 4);
        Tensor dx = upload(x);
        Tensor idx = track(it == DType.I64 ? device().fromArray(new long[] {0, stored, 2}, 3) : device().fromArray(new int[] {0, (int) stored, 2}, 3));
        try {
            Tensor r = track(dx.indexSelect(0, idx));
            float[] v = r.toFloatArray();
            for (int j = 0; j < 4; j++) {
                assertEquals(x.get(0, j), v[j], 1e-7, "good row 0 (" + seedNote() + ")");
                assertEquals(0f, v[4 + j], "row of the bad index " + stored + " must be 0 when no exception is thrown");
                assertEquals(x.get(2, j), v[8 + j], 1e-7, "good row 2");
            }
        } catch (KilnException expected) {
            // reported: fine
        }
        try {
            Tensor self = track(device().zeros(3, 4));
            Tensor src = track(device().ones(3, 4));
            Tensor r = track(self.indexAdd(0, idx, src));
            float[] v = r.toFloatArray();
            // when the backend skips a bad index silently, only the good rows received their ones
            for (int j = 0; j < 4; j++) assertEquals(1f, v[j], "row 0 after indexAdd");
        } catch (KilnException expected) {
            // reported: fine
        }
        device().synchronize();
        assertClose("device still works after a bad index", x.map(v -> v * 3), track(dx.mul(3)));
    }
}
