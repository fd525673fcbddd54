package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.DType;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.tck.ref.Broadcast;
import dev.kiln.tck.ref.Layout;
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
 * Shape and layout operations: reshape (with -1), flatten, squeeze/unsqueeze, permute, transpose,
 * expand, slice (steps, negative bounds, empty results), narrow, and concat/stack/split/chunk on
 * every axis, in F32 and the integer dtypes (data movement must be bit exact).
 */
public abstract class ShapeOpsTestCase extends KilnTestCase {

    private Tensor up(HostTensor h, DType t) { return track(h.to(device(), t)); }

    private HostTensor values(DType t, int... shape) { return t.isFloating() ? randn(shape) : HostTensor.randint(rnd, -1_000_000, 1_000_000, shape); }

    private void assertSame(String what, HostTensor expected, Tensor actual) {
        assertEquals(Arrays.toString(expected.shape), actual.shape().toString(), what + ": shape (" + seedNote() + ")");
        assertExact(what, expected.data, actual);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "I32", "I64"})
    void reshapeAndFlatten(DType t) {
        HostTensor x = values(t, 2, 3, 4, 5);
        Tensor d = up(x, t);
        assertSame("reshape(6, -1)", new HostTensor(x.data, 6, 20), track(d.reshape(6, -1)));
        assertSame("reshape(-1)", new HostTensor(x.data, 120), track(d.reshape(-1)));
        assertSame("reshape(5, 1, -1, 2)", new HostTensor(x.data, 5, 1, 12, 2), track(d.reshape(5, 1, -1, 2)));
        assertSame("flatten(1, 2)", new HostTensor(x.data, 2, 12, 5), track(d.flatten(1, 2)));
        assertSame("flatten(0, -1)", new HostTensor(x.data, 120), track(d.flatten(0, -1)));
        assertSame("flatten(-2, -1)", new HostTensor(x.data, 2, 3, 20), track(d.flatten(-2, -1)));
        assertSame("flatten(2, 2)", x, track(d.flatten(2, 2)));
        Tensor s = up(new HostTensor(new double[] {4}, 1), t);
        assertEquals("[]", track(s.reshape()).shape().toString());
        assertThrows(ShapeException.class, () -> track(d.reshape(7, -1)));
        assertThrows(ShapeException.class, () -> track(d.reshape(-1, -1)));
        assertThrows(ShapeException.class, () -> track(d.reshape(2, 3)));
    }

    @Test
    void squeezeAndUnsqueeze() {
        HostTensor x = randn(3, 1, 4);
        Tensor d = upload(x);
        assertSame("squeeze(1)", new HostTensor(x.data, 3, 4), track(d.squeeze(1)));
        assertSame("squeeze(-2)", new HostTensor(x.data, 3, 4), track(d.squeeze(-2)));
        assertSame("unsqueeze(0)", new HostTensor(x.data, 1, 3, 1, 4), track(d.unsqueeze(0)));
        assertSame("unsqueeze(3)", new HostTensor(x.data, 3, 1, 4, 1), track(d.unsqueeze(3)));
        assertSame("unsqueeze(-1)", new HostTensor(x.data, 3, 1, 4, 1), track(d.unsqueeze(-1)));
        assertSame("unsqueeze(-4)", new HostTensor(x.data, 1, 3, 1, 4), track(d.unsqueeze(-4)));
        assertThrows(ShapeException.class, () -> track(d.squeeze(0)));
        assertThrows(ShapeException.class, () -> track(d.unsqueeze(5)));
        Tensor scalar = track(device().scalar(3));
        assertEquals("[1]", track(scalar.unsqueeze(0)).shape().toString());
    }

    static Stream<Arguments> permutations() {
        int[][][] p = {
                {{7}, {0}}, {{3, 5}, {1, 0}}, {{2, 3, 4}, {2, 0, 1}}, {{2, 3, 4}, {1, 2, 0}}, {{2, 3, 4}, {0, 2, 1}},
                {{2, 3, 4, 5}, {3, 1, 0, 2}}, {{1, 7, 1, 3}, {2, 3, 0, 1}}, {{2, 1, 3, 2, 3}, {4, 3, 2, 1, 0}}, {{2, 3, 1, 2, 2, 3}, {5, 0, 4, 1, 3, 2}},
                {{3, 5}, {-1, -2}}, {{129, 3}, {1, 0}},
        };
        List<Arguments> out = new ArrayList<>();
        for (int[][] c : p) for (DType t : new DType[] {DType.F32, DType.I64}) out.add(Arguments.of(c[0], c[1], t));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} permute {1} {2}")
    @MethodSource("permutations")
    void permute(int[] shape, int[] order, DType t) {
        HostTensor x = values(t, shape);
        int[] norm = Arrays.stream(order).map(a -> a < 0 ? a + shape.length : a).toArray();
        assertSame("permute " + Arrays.toString(order), Layout.permute(x, norm), track(up(x, t).permute(order)));
    }

    @Test
    void transposeEveryPairOfAxes() {
        HostTensor x = randn(2, 3, 4, 5);
        Tensor d = upload(x);
        for (int a = -4; a < 4; a++) {
            for (int b = 0; b < 4; b++) {
                int[] order = {0, 1, 2, 3};
                int na = a < 0 ? a + 4 : a;
                order[na] = b;
                order[b] = na;
                assertSame("transpose(" + a + ", " + b + ")", Layout.permute(x, order), track(d.transpose(a, b)));
            }
        }
    }

    static Stream<Arguments> expansions() {
        int[][][] p = {{{1}, {7}}, {{}, {2, 3}}, {{3, 1}, {3, 4}}, {{3, 1}, {2, 3, 5}}, {{1, 4}, {1, 4}}, {{2, 1, 1}, {2, 3, 129}}, {{5}, {0, 5}}};
        return Arrays.stream(p).map(s -> Arguments.of(s[0], s[1]));
    }

    @ParameterizedTest(name = "{0} to {1}")
    @MethodSource("expansions")
    void expand(int[] shape, int[] target) {
        HostTensor x = randn(shape);
        assertSame("expand", Broadcast.expand(x, target), track(upload(x).expand(target)));
    }

    @Test
    void expandRejectsNonBroadcastableTargets() {
        Tensor d = upload(randn(3, 2));
        assertThrows(ShapeException.class, () -> track(d.expand(3, 4)));
        assertThrows(ShapeException.class, () -> track(d.expand(2)));
    }

    static Stream<Arguments> slices() {
        // {axis, start, end, step} on a [5, 7, 9] tensor
        int[][] s = {
                {0, 0, 5, 1}, {0, 1, 4, 1}, {0, 0, 1, 1}, {0, 4, 5, 1}, {1, 2, 7, 2}, {2, 0, 9, 3}, {2, 1, 9, 4}, {2, -3, 9, 1},
                {2, -100, 100, 1}, {1, -5, -1, 2}, {1, 5, 2, 1}, {2, 9, 9, 1}, {-1, 2, -2, 1}, {-3, 1, 3, 1}, {0, 0, 5, 2}, {1, 6, 7, 5}, {2, 0, -1, 7},
        };
        return Arrays.stream(s).map(a -> Arguments.of(a[0], a[1], a[2], a[3]));
    }

    @ParameterizedTest(name = "axis {0} [{1}:{2}:{3}]")
    @MethodSource("slices")
    void slice(int axis, int start, int end, int step) {
        HostTensor x = randn(5, 7, 9);
        Tensor r = track(upload(x).slice(axis, start, end, step));
        assertSame("slice", Layout.slice(x, axis < 0 ? axis + 3 : axis, start, end, step), r);
        // the slice is usable in further ops even when it shares the buffer
        HostTensor ref = Layout.slice(x, axis < 0 ? axis + 3 : axis, start, end, step).map(v -> v * 2);
        assertClose("slice then multiply", ref, track(r.mul(2)));
    }

    @Test
    void sliceOfSliceAndSliceOfLeadingRowsKeepTheirOffset() {
        HostTensor x = randn(6, 5);
        Tensor d = upload(x);
        Tensor rows = track(d.slice(0, 2, 5, 1));
        assertSame("rows 2..4", Layout.slice(x, 0, 2, 5, 1), rows);
        Tensor inner = track(rows.slice(0, 1, 3, 1));
        assertSame("rows 3..4", Layout.slice(x, 0, 3, 5, 1), inner);
        assertSame("columns of rows", Layout.slice(Layout.slice(x, 0, 3, 5, 1), 1, 1, 5, 2), track(inner.slice(1, 1, 5, 2)));
        assertSame("transpose of rows", Layout.permute(Layout.slice(x, 0, 3, 5, 1), 1, 0), track(inner.transpose(0, 1)));
        assertSame("reshape of rows", new HostTensor(Layout.slice(x, 0, 3, 5, 1).data, 10), track(inner.reshape(-1)));
        assertThrows(ShapeException.class, () -> track(d.slice(0, 0, 3, 0)));
    }

    @Test
    void narrow() {
        HostTensor x = randn(4, 7);
        Tensor d = upload(x);
        assertSame("narrow(1, 2, 3)", Layout.slice(x, 1, 2, 5, 1), track(d.narrow(1, 2, 3)));
        assertSame("narrow(0, 3, 1)", Layout.slice(x, 0, 3, 4, 1), track(d.narrow(0, 3, 1)));
        assertSame("narrow(-1, 7, 0)", Layout.slice(x, 1, 7, 7, 1), track(d.narrow(-1, 7, 0)));
        assertThrows(ShapeException.class, () -> track(d.narrow(1, 5, 3)));
        assertThrows(ShapeException.class, () -> track(d.narrow(0, -1, 2)));
    }

    static Stream<Arguments> axesOfRank3() {
        List<Arguments> out = new ArrayList<>();
        for (int a = -3; a < 3; a++) for (DType t : new DType[] {DType.F32, DType.I32}) out.add(Arguments.of(a, t));
        return out.stream();
    }

    @ParameterizedTest(name = "axis {0} {1}")
    @MethodSource("axesOfRank3")
    void concatOnEveryAxis(int axis, DType t) {
        int a = axis < 0 ? axis + 3 : axis;
        int[][] sizes = {{2, 3, 4}, {2, 3, 4}, {2, 3, 4}};
        sizes[1][a] = 1;
        sizes[2][a] = 0;   // an empty part contributes nothing
        List<HostTensor> parts = new ArrayList<>();
        List<Tensor> dev = new ArrayList<>();
        for (int[] s : sizes) {
            HostTensor h = values(t, s);
            parts.add(h);
            dev.add(up(h, t));
        }
        parts.add(parts.get(0));
        dev.add(dev.get(0));
        assertSame("concat axis " + axis, Layout.concat(parts, a), track(Tensor.concat(dev, axis)));
    }

    @ParameterizedTest(name = "axis {0} {1}")
    @MethodSource("axesOfRank3")
    void stackOnEveryAxis(int axis, DType t) {
        List<HostTensor> parts = List.of(values(t, 2, 5), values(t, 2, 5), values(t, 2, 5));
        List<Tensor> dev = parts.stream().map(h -> up(h, t)).toList();
        int a = axis < 0 ? axis + 3 : axis;
        List<HostTensor> lifted = new ArrayList<>();
        for (HostTensor h : parts) {
            int[] s = new int[3];
            for (int i = 0, j = 0; i < 3; i++) s[i] = i == a ? 1 : h.shape[j++];
            lifted.add(new HostTensor(h.data, s));
        }
        assertSame("stack axis " + axis, Layout.concat(lifted, a), track(Tensor.stack(dev, axis)));
    }

    @ParameterizedTest(name = "axis {0} {1}")
    @MethodSource("axesOfRank3")
    void splitAndChunkOnEveryAxis(int axis, DType t) {
        int a = axis < 0 ? axis + 3 : axis;
        int[] shape = {6, 6, 6};
        HostTensor x = values(t, shape);
        Tensor d = up(x, t);
        int[] sizes = {1, 0, 3, 2};
        List<Tensor> pieces = d.split(sizes, axis);
        pieces.forEach(this::track);
        int at = 0;
        for (int i = 0; i < sizes.length; i++) {
            assertSame("split piece " + i, Layout.slice(x, a, at, at + sizes[i], 1), pieces.get(i));
            at += sizes[i];
        }
        List<Tensor> chunks = d.chunk(3, axis);
        chunks.forEach(this::track);
        assertEquals(3, chunks.size());
        for (int i = 0; i < 3; i++) assertSame("chunk " + i, Layout.slice(x, a, 2 * i, 2 * i + 2, 1), chunks.get(i));
        assertThrows(ShapeException.class, () -> d.split(new int[] {1, 2}, axis));
        assertThrows(ShapeException.class, () -> d.chunk(4, axis));
    }

    /** Half-precision storage moves bit for bit too (skipped where the backend does not store the dtype). */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void halfPrecisionDataMovement(DType t) {
        Assumptions.assumeTrue(device().backend().dtypes().contains(t), "backend does not store " + t);
        HostTensor x = randn(3, 4, 5).map(v -> HostCodec.stored(v, t));
        Tensor d = track(HostCodec.upload(device(), x, t));
        assertArrayEquals(Layout.permute(x, 2, 0, 1).data, HostCodec.decode(track(d.permute(2, 0, 1))), 0, "permute " + t);
        assertArrayEquals(Layout.slice(x, 2, 1, 5, 2).data, HostCodec.decode(track(d.slice(2, 1, 5, 2))), 0, "slice " + t);
        assertArrayEquals(Layout.concat(List.of(x, x), 1).data, HostCodec.decode(track(Tensor.concat(List.of(d, d), 1))), 0, "concat " + t);
        assertArrayEquals(Broadcast.expand(Layout.slice(x, 0, 0, 1, 1), new int[] {2, 4, 5}).data,
                HostCodec.decode(track(track(d.narrow(0, 0, 1)).expand(2, 4, 5))), 0, "expand " + t);
        HostTensor idx = HostTensor.randint(rnd, 0, 4, 6);
        assertArrayEquals(Layout.indexSelect(x, 1, idx).data, HostCodec.decode(track(d.indexSelect(1, track(idx.to(device(), DType.I64))))), 0,
                "indexSelect " + t);
    }

    @Test
    void concatRejectsMismatchedParts() {
        Tensor a = upload(randn(2, 3)), b = upload(randn(3, 3)), c = track(device().zeros(dev.kiln.DType.I64, 2, 3));
        ShapeException e = assertThrows(ShapeException.class, () -> track(Tensor.concat(List.of(a, b), 1)));
        ErrorTestCase.assertNames(e, "concat", "[2, 3]", "[3, 3]");
        assertThrows(dev.kiln.DTypeException.class, () -> track(Tensor.concat(List.of(a, c), 0)));
        assertThrows(ShapeException.class, () -> track(Tensor.concat(List.of(), 0)));
        assertThrows(ShapeException.class, () -> track(Tensor.stack(List.of(a, b), 0)));
    }
}
