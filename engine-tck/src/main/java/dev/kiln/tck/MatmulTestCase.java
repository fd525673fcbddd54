package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.DType;
import dev.kiln.DTypeException;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.spi.View;
import dev.kiln.tck.ref.Layout;
import dev.kiln.tck.ref.MatmulRef;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Matrix products through {@link Tensor#matmul} (NumPy rules: 1-D operands, batch broadcasting,
 * K = 0) and through the {@code matmul} primitive directly, with hand-made strides: transposed
 * operands, batch stride 0, alpha and beta, and beta = 0 ignoring NaN in c.
 */
public abstract class MatmulTestCase extends KilnTestCase {

    /** Dot products may cancel: the error is measured against |a| @ |b|, the bound of floating-point GEMM error. */
    private void assertProduct(String what, HostTensor a, HostTensor b, Tensor actual) {
        HostTensor ref = MatmulRef.matmul(a, b);
        assertEquals(Arrays.toString(ref.shape), actual.shape().toString(), what + ": shape (" + seedNote() + ")");
        ElementChecks.assertScaled(what, ref.data, MatmulRef.matmul(a.map(Math::abs), b.map(Math::abs)).data, actual.toFloatArray(), tolerance(), seedNote());
    }

    static Stream<Arguments> squareAndOddShapes() {
        int[][] mkn = {{1, 1, 1}, {1, 7, 1}, {7, 129, 3}, {3, 1, 129}, {64, 64, 64}, {65, 33, 129}, {129, 2, 7}, {17, 31, 1}, {1, 64, 65}, {33, 65, 17}};
        return Arrays.stream(mkn).map(s -> Arguments.of(s[0], s[1], s[2]));
    }

    @ParameterizedTest(name = "M={0} K={1} N={2}")
    @MethodSource("squareAndOddShapes")
    void matrixTimesMatrix(int m, int k, int n) {
        HostTensor a = randn(m, k), b = randn(k, n);
        assertProduct("matmul " + m + "x" + k + " @ " + k + "x" + n, a, b, track(upload(a).matmul(upload(b))));
    }

    static Stream<Arguments> broadcastShapes() {
        int[][][] p = {
                {{7}, {7, 5}}, {{5, 7}, {7}}, {{129}, {129}}, {{1}, {1}}, {{3, 7}, {2, 7, 4}}, {{2, 5, 7}, {7, 3}},
                {{4, 5, 7}, {7, 3}}, {{1, 5, 7}, {4, 7, 3}}, {{2, 1, 5, 7}, {1, 3, 7, 4}}, {{2, 3, 5, 7}, {2, 3, 7, 4}},
                {{3, 1, 5, 7}, {2, 7, 4}}, {{7}, {3, 7, 2}}, {{2, 3, 5, 7}, {7}}, {{1, 1, 2, 3}, {3, 2}},
        };
        return Arrays.stream(p).map(s -> Arguments.of(s[0], s[1]));
    }

    @ParameterizedTest(name = "{0} @ {1}")
    @MethodSource("broadcastShapes")
    void batchAndVectorOperands(int[] sa, int[] sb) {
        HostTensor a = randn(sa), b = randn(sb);
        assertProduct(Arrays.toString(sa) + " @ " + Arrays.toString(sb), a, b, track(upload(a).matmul(upload(b))));
    }

    static Stream<Arguments> transposeCases() {
        return Stream.of(Arguments.of(7, 5, 3, true, false), Arguments.of(7, 5, 3, false, true), Arguments.of(7, 5, 3, true, true),
                Arguments.of(1, 129, 2, true, true), Arguments.of(33, 17, 65, true, false), Arguments.of(2, 1, 9, false, true));
    }

    @ParameterizedTest(name = "M={0} K={1} N={2} transA={3} transB={4}")
    @MethodSource("transposeCases")
    void transposedOperands(int m, int k, int n, boolean ta, boolean tb) {
        HostTensor a = ta ? randn(2, k, m) : randn(2, m, k), b = tb ? randn(n, k) : randn(k, n);
        HostTensor refA = ta ? Layout.permute(a, 0, 2, 1) : a, refB = tb ? Layout.permute(b, 1, 0) : b;
        Tensor da = upload(a), db = upload(b);
        Tensor x = ta ? track(da.transpose(1, 2)) : da, y = tb ? track(db.transpose(0, -1)) : db;
        assertProduct("transposed matmul", refA, refB, track(x.matmul(y)));
    }

    @Test
    void innerDimensionZeroGivesZeros() {
        Tensor a = track(device().zeros(3, 0)), b = track(device().zeros(0, 4));
        Tensor r = track(a.matmul(b));
        assertEquals("[3, 4]", r.shape().toString());
        assertExact("K = 0", new double[12], r);
        Tensor empty = track(track(device().zeros(2, 0, 5)).matmul(track(device().ones(5, 3))));
        assertEquals("[2, 0, 3]", empty.shape().toString());
    }

    @Test
    void mismatchedOrWrongTypedOperandsAreRejected() {
        Tensor a = upload(randn(3, 4)), b = upload(randn(5, 2));
        ShapeException e = assertThrows(ShapeException.class, () -> track(a.matmul(b)));
        ErrorTestCase.assertNames(e, "matmul", "[3, 4]", "[5, 2]");
        assertThrows(ShapeException.class, () -> track(upload(randn(2, 3, 4)).matmul(upload(randn(3, 4, 2)))));
        assertThrows(ShapeException.class, () -> track(track(device().scalar(1)).matmul(a)));
        Tensor i = track(device().arange(4));
        assertThrows(DTypeException.class, () -> track(i.matmul(i)));
    }

    // ---- the primitive, with hand-made strides ----

    /** A view of {@code t}'s buffer with other dims and strides. */
    private static View as(Tensor t, int[] dims, long... strides) {
        View v = t.view();
        return new View(v.buffer(), v.dtype(), v.offset(), dims, strides);
    }

    /** alpha * a @ b + beta * c0, checked against the same on magnitudes. */
    private void assertGemm(String what, HostTensor a3, HostTensor b3, HostTensor c0, double alpha, double beta, Tensor c) {
        HostTensor ab = MatmulRef.matmul(a3, b3), mag = MatmulRef.matmul(a3.map(Math::abs), b3.map(Math::abs));
        double[] ref = new double[ab.numel()], scale = new double[ab.numel()];
        for (int i = 0; i < ref.length; i++) {
            ref[i] = alpha * ab.data[i] + (beta == 0 ? 0 : beta * c0.data[i]);
            scale[i] = Math.abs(alpha) * mag.data[i] + (beta == 0 ? 0 : Math.abs(beta * c0.data[i]));
        }
        ElementChecks.assertScaled(what, ref, scale, c.toFloatArray(), tolerance(), seedNote());
    }

    static Stream<Arguments> primitiveCases() {
        return Stream.of(Arguments.of(1, 1, 1, 1), Arguments.of(3, 7, 5, 2), Arguments.of(2, 33, 17, 9), Arguments.of(1, 64, 65, 3),
                Arguments.of(4, 1, 129, 1));
    }

    @ParameterizedTest(name = "B={0} M={1} K={2} N={3}")
    @MethodSource("primitiveCases")
    void primitiveWithTransposedStrides(int batch, int m, int k, int n) {
        // a stored as [B, K, M] and b as [B, N, K]: the primitive sees their transposes through strides
        HostTensor at = randn(batch, k, m), bt = randn(batch, n, k);
        HostTensor a = Layout.permute(at, 0, 2, 1), b = Layout.permute(bt, 0, 2, 1);
        Tensor da = upload(at), db = upload(bt);
        Tensor c = track(device().full(Double.NaN, batch, m, n));
        device().backend().matmul(as(da, new int[] {batch, m, k}, (long) k * m, 1, m), as(db, new int[] {batch, k, n}, (long) n * k, 1, k),
                c.view(), 1f, 0f);
        assertGemm("transposed a and b by strides, beta 0 over NaN", a, b, null, 1, 0, c);
    }

    @ParameterizedTest(name = "B={0} M={1} K={2} N={3}")
    @MethodSource("primitiveCases")
    void primitiveWithBatchStrideZero(int batch, int m, int k, int n) {
        // one b for every batch entry
        HostTensor a = randn(batch, m, k), b1 = randn(k, n);
        HostTensor b = HostTensor.zeros(batch, k, n);
        for (int p = 0; p < batch; p++) System.arraycopy(b1.data, 0, b.data, p * k * n, k * n);
        Tensor da = upload(a), db = upload(b1);
        Tensor c = track(device().full(Double.NaN, batch, m, n));
        device().backend().matmul(da.view().broadcastTo(new int[] {batch, m, k}), as(db, new int[] {batch, k, n}, 0, n, 1), c.view(), 1f, 0f);
        assertGemm("batch stride 0", a, b, null, 1, 0, c);
    }

    @ParameterizedTest(name = "B={0} M={1} K={2} N={3}")
    @MethodSource("primitiveCases")
    void primitiveAlphaBeta(int batch, int m, int k, int n) {
        HostTensor a = randn(batch, m, k), b = randn(batch, k, n), c0 = randn(batch, m, n);
        Tensor c = upload(c0);
        float alpha = -0.75f, beta = 0.5f;
        device().backend().matmul(upload(a).view(), upload(b).view(), c.view(), alpha, beta);
        assertGemm("alpha -0.75, beta 0.5", a, b, c0, alpha, beta, c);
        Tensor c1 = upload(c0);
        device().backend().matmul(upload(a).view(), upload(b).view(), c1.view(), 1f, 1f);
        assertGemm("accumulate (beta 1)", a, b, c0, 1, 1, c1);
    }

    @Test
    void primitiveIntoAWindowOfALargerBuffer() {
        // c is rows 1..4 and columns 2..6 of an 8 x 9 matrix; everything outside must stay untouched
        HostTensor a = randn(1, 3, 5), b = randn(1, 5, 4), big = randn(8, 9);
        Tensor dbig = upload(big);
        View bv = dbig.view();
        View c = new View(bv.buffer(), DType.F32, bv.offset() + 9 + 2, new int[] {1, 3, 4}, new long[] {0, 9, 1});
        device().backend().matmul(upload(a).view(), upload(b).view(), c, 2f, 0f);
        HostTensor ab = MatmulRef.matmul(a, b);
        HostTensor expected = new HostTensor(big.data.clone(), 8, 9);
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) expected.set(2 * ab.get(0, i, j), 1 + i, 2 + j);
        HostTensor mag = MatmulRef.matmul(a.map(Math::abs), b.map(Math::abs));
        double[] scale = big.data.clone();
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) scale[(1 + i) * 9 + 2 + j] = 2 * mag.get(0, i, j);
        ElementChecks.assertScaled("strided c", expected.data, scale, dbig.toFloatArray(), tolerance(), seedNote());
        // outside the window, not one bit may change
        float[] after = dbig.toFloatArray();
        for (int i = 0; i < 72; i++) {
            int r = i / 9, col = i % 9;
            if (r < 1 || r > 3 || col < 2 || col > 5) assertEquals((float) big.data[i], after[i], 0, "element " + i + " outside c");
        }
    }
}
