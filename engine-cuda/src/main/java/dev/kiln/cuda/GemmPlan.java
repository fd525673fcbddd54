package dev.kiln.cuda;

import dev.kiln.spi.View;

/**
 * Maps a row-major batched product {@code c[B,M,N] = a[B,M,K] @ b[B,K,N]} with arbitrary view strides onto
 * one column-major cuBLAS strided-batched call, using transposes and leading dimensions instead of copies
 * where the strides allow. cuBLAS sees a row-major matrix with unit column stride as its transpose in
 * column-major order, so a row-major {@code c} is computed as {@code c^T = b^T a^T}.
 */
public final class GemmPlan {
    private GemmPlan() {}

    /** One column-major matrix operand: {@code op} applied to the stored matrix, its leading dimension. */
    public record Operand(int op, int ld) {}

    /**
     * A cuBLAS call: cuBLAS's A is {@code first}, its B {@code second}, its C {@code out} (views whose
     * offsets give the start addresses).
     */
    public record Call(int transA, int transB, int m, int n, int k, int lda, long strideA, int ldb, long strideB,
                       int ldc, long strideC, int batch, View first, View second, View out) {
        @Override
        public String toString() {
            return "gemm(" + (transA == Cublas.OP_N ? "N" : "T") + (transB == Cublas.OP_N ? "N" : "T") + " m=" + m
                    + " n=" + n + " k=" + k + " lda=" + lda + " ldb=" + ldb + " ldc=" + ldc + " strides=" + strideA
                    + "," + strideB + "," + strideC + " batch=" + batch + ")";
        }
    }

    /**
     * How the row-major matrix x [R, S] (axes 1 and 2 of a rank-3 view) is handed to cuBLAS as the
     * column-major matrix x^T (S x R): stored as is with op N when its columns are contiguous, or as
     * x (R x S column-major) with op T when its rows are; null when neither (the caller copies x).
     */
    static Operand transposedOperand(View x) {
        int r = x.shape()[1], s = x.shape()[2];
        long sr = x.strides()[1], ss = x.strides()[2];
        if (sr < 0 || ss < 0 || x.strides()[0] < 0) return null;
        if (ss == 1 || s <= 1) {
            long ld = r <= 1 ? Math.max(1, s) : sr;
            if (ld >= Math.max(1, s) && ld <= Integer.MAX_VALUE) return new Operand(Cublas.OP_N, (int) ld);
        }
        if (sr == 1 || r <= 1) {
            long ld = s <= 1 ? Math.max(1, r) : ss;
            if (ld >= Math.max(1, r) && ld <= Integer.MAX_VALUE) return new Operand(Cublas.OP_T, (int) ld);
        }
        return null;
    }

    /** True when c [B, M, N] can be written by cuBLAS in place: unit stride along N or along M. */
    public static boolean outputMappable(View c) {
        return rowMajorOutput(c) != null || rowMajorOutput(transpose(c)) != null;
    }

    /** Leading dimension of c seen as c^T column-major (unit stride along N), or null. */
    private static Integer rowMajorOutput(View c) {
        int m = c.shape()[1], n = c.shape()[2];
        long sm = c.strides()[1], sn = c.strides()[2];
        if (sm < 0 || sn < 0 || c.strides()[0] < 0) return null;
        if (!(sn == 1 || n <= 1)) return null;
        long ld = m <= 1 ? Math.max(1, n) : sm;
        return ld >= Math.max(1, n) && ld <= Integer.MAX_VALUE ? (int) ld : null;
    }

    /** The call computing c = a @ b, or null when some operand must first be made contiguous. */
    public static Call plan(View a, View b, View c) {
        Call call = planRowMajor(a, b, c);
        if (call == null && rowMajorOutput(c) == null) call = planRowMajor(transpose(b), transpose(a), transpose(c));
        return call;
    }

    /** Which operands block {@link #plan}: a, b, c in that order (c only when neither orientation fits). */
    public static boolean[] unmappable(View a, View b, View c) {
        boolean cBad = !outputMappable(c);
        if (cBad) return new boolean[] {transposedOperand(a) == null, transposedOperand(b) == null, true};
        if (rowMajorOutput(c) != null) return new boolean[] {transposedOperand(a) == null, transposedOperand(b) == null, false};
        // column-major c: the roles swap to b^T, a^T, whose transposed operands are a and b as stored
        return new boolean[] {transposedOperand(transpose(a)) == null, transposedOperand(transpose(b)) == null, false};
    }

    private static Call planRowMajor(View a, View b, View c) {
        Integer ldc = rowMajorOutput(c);
        if (ldc == null) return null;
        Operand first = transposedOperand(b);    // b^T: N x K
        Operand second = transposedOperand(a);   // a^T: K x M
        if (first == null || second == null) return null;
        int batch = c.shape()[0], m = c.shape()[1], n = c.shape()[2], k = a.shape()[2];
        return new Call(first.op(), second.op(), n, m, k, first.ld(), batchStride(b), second.ld(), batchStride(a),
                ldc, batchStride(c), batch, b, a, c);
    }

    private static long batchStride(View x) { return x.shape()[0] <= 1 ? 0 : x.strides()[0]; }

    static View transpose(View x) { return x.permute(0, 2, 1); }
}
