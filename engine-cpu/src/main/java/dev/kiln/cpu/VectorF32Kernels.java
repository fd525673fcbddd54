package dev.kiln.cpu;

import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.UnaryOp;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link F32Kernels} on the Vector API at the CPU's preferred width. Each op has its own loop with a
 * constant operator (the JIT intrinsifies only constant operators); tails go to the scalar kernels.
 * Loaded by name only when the {@code jdk.incubator.vector} module is present.
 */
final class VectorF32Kernels implements F32Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder O = ByteOrder.nativeOrder();
    /** Elements summed in float lanes before the partial goes into the double total. */
    private static final int SUM_BLOCK = 32 * L;

    private final ScalarF32Kernels tail = ScalarF32Kernels.INSTANCE;

    @Override
    public boolean supports(UnaryOp op) { return tail.supports(op); }

    @Override
    public boolean supports(BinaryOp op) { return tail.supports(op); }

    private static FloatVector ld(MemorySegment s, long elem) { return FloatVector.fromMemorySegment(S, s, elem * 4, O); }

    @Override
    public void unary(UnaryOp op, MemorySegment x, long xo, MemorySegment out, long oo, int n) {
        int up = S.loopBound(n), i = 0;
        FloatVector one = FloatVector.broadcast(S, 1f), zero = FloatVector.zero(S);
        switch (op) {
            case COPY -> { MemorySegment.copy(x, xo * 4, out, oo * 4, n * 4L); return; }
            case NEG -> { for (; i < up; i += L) ld(x, xo + i).neg().intoMemorySegment(out, (oo + i) * 4, O); }
            case ABS -> { for (; i < up; i += L) ld(x, xo + i).abs().intoMemorySegment(out, (oo + i) * 4, O); }
            case SQUARE -> { for (; i < up; i += L) { var v = ld(x, xo + i); v.mul(v).intoMemorySegment(out, (oo + i) * 4, O); } }
            case RELU -> { for (; i < up; i += L) ld(x, xo + i).max(zero).intoMemorySegment(out, (oo + i) * 4, O); }
            case SQRT -> { for (; i < up; i += L) ld(x, xo + i).sqrt().intoMemorySegment(out, (oo + i) * 4, O); }
            case RSQRT -> { for (; i < up; i += L) one.div(ld(x, xo + i).sqrt()).intoMemorySegment(out, (oo + i) * 4, O); }
            case RECIPROCAL -> { for (; i < up; i += L) one.div(ld(x, xo + i)).intoMemorySegment(out, (oo + i) * 4, O); }
            // Transcendental functions go to the scalar kernel: the Vector API's EXP, TANH, ... lanes are computed by
            // SVML once C2 compiles the loop but by Math in the interpreter and C1, so their bits would depend on the JIT
            // tier and on an element's position (vector body or tail). Math's results are the same in every tier.
            case EXP, LOG, TANH, SIN, COS, SIGMOID, SILU -> { }
            default -> throw new IllegalStateException(op.toString());
        }
        tail.unary(op, x, xo + i, out, oo + i, n - i);
    }

    @Override
    public void binary(BinaryOp op, MemorySegment a, long ao, boolean aB, MemorySegment b, long bo, boolean bB,
                       MemorySegment out, long oo, int n) {
        int up = S.loopBound(n), i = 0;
        FloatVector ca = aB ? FloatVector.broadcast(S, a.getAtIndex(Elem.F, ao)) : null;
        FloatVector cb = bB ? FloatVector.broadcast(S, b.getAtIndex(Elem.F, bo)) : null;
        FloatVector one = FloatVector.broadcast(S, 1f), zero = FloatVector.zero(S);
        switch (op) {
            case ADD -> { for (; i < up; i += L) va(a, ao, ca, i).add(va(b, bo, cb, i)).intoMemorySegment(out, (oo + i) * 4, O); }
            case SUB -> { for (; i < up; i += L) va(a, ao, ca, i).sub(va(b, bo, cb, i)).intoMemorySegment(out, (oo + i) * 4, O); }
            case MUL -> { for (; i < up; i += L) va(a, ao, ca, i).mul(va(b, bo, cb, i)).intoMemorySegment(out, (oo + i) * 4, O); }
            case DIV -> { for (; i < up; i += L) va(a, ao, ca, i).div(va(b, bo, cb, i)).intoMemorySegment(out, (oo + i) * 4, O); }
            case MAXIMUM -> { for (; i < up; i += L) va(a, ao, ca, i).max(va(b, bo, cb, i)).intoMemorySegment(out, (oo + i) * 4, O); }
            case MINIMUM -> { for (; i < up; i += L) va(a, ao, ca, i).min(va(b, bo, cb, i)).intoMemorySegment(out, (oo + i) * 4, O); }
            case EQ -> { for (; i < up; i += L) zero.blend(one, va(a, ao, ca, i).compare(VectorOperators.EQ, va(b, bo, cb, i))).intoMemorySegment(out, (oo + i) * 4, O); }
            case NE -> { for (; i < up; i += L) zero.blend(one, va(a, ao, ca, i).compare(VectorOperators.NE, va(b, bo, cb, i))).intoMemorySegment(out, (oo + i) * 4, O); }
            case LT -> { for (; i < up; i += L) zero.blend(one, va(a, ao, ca, i).compare(VectorOperators.LT, va(b, bo, cb, i))).intoMemorySegment(out, (oo + i) * 4, O); }
            case LE -> { for (; i < up; i += L) zero.blend(one, va(a, ao, ca, i).compare(VectorOperators.LE, va(b, bo, cb, i))).intoMemorySegment(out, (oo + i) * 4, O); }
            case GT -> { for (; i < up; i += L) zero.blend(one, va(a, ao, ca, i).compare(VectorOperators.GT, va(b, bo, cb, i))).intoMemorySegment(out, (oo + i) * 4, O); }
            case GE -> { for (; i < up; i += L) zero.blend(one, va(a, ao, ca, i).compare(VectorOperators.GE, va(b, bo, cb, i))).intoMemorySegment(out, (oo + i) * 4, O); }
            default -> throw new IllegalStateException(op.toString());
        }
        tail.binary(op, a, aB ? ao : ao + i, aB, b, bB ? bo : bo + i, bB, out, oo + i, n - i);
    }

    /** Operand vector i: the broadcast constant, or a load. */
    private static FloatVector va(MemorySegment s, long off, FloatVector constant, int i) {
        return constant != null ? constant : ld(s, off + i);
    }

    @Override
    public void dot4(MemorySegment x, long[] xOff, MemorySegment w, long wOff, int n, float[] out) {
        long x0 = xOff[0], x1 = xOff[1], x2 = xOff[2], x3 = xOff[3];
        int i = 0;
        FloatVector a0 = FloatVector.zero(S), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
        for (; i + 2 * L <= n; i += 2 * L) {
            FloatVector w0 = ld(w, wOff + i), w1 = ld(w, wOff + i + L);
            a0 = ld(x, x0 + i).fma(w0, a0); b0 = ld(x, x0 + i + L).fma(w1, b0);
            a1 = ld(x, x1 + i).fma(w0, a1); b1 = ld(x, x1 + i + L).fma(w1, b1);
            a2 = ld(x, x2 + i).fma(w0, a2); b2 = ld(x, x2 + i + L).fma(w1, b2);
            a3 = ld(x, x3 + i).fma(w0, a3); b3 = ld(x, x3 + i + L).fma(w1, b3);
        }
        // lanes folded in a fixed order (reduceLanes(ADD) leaves it open), then the tail
        float[] lanes = new float[L];
        out[0] = fold(a0.add(b0), lanes, x, x0, w, wOff, i, n);
        out[1] = fold(a1.add(b1), lanes, x, x1, w, wOff, i, n);
        out[2] = fold(a2.add(b2), lanes, x, x2, w, wOff, i, n);
        out[3] = fold(a3.add(b3), lanes, x, x3, w, wOff, i, n);
    }

    private static float fold(FloatVector acc, float[] lanes, MemorySegment x, long xOff, MemorySegment w, long wOff, int from, int n) {
        acc.intoArray(lanes, 0);
        float r = 0;
        for (float lane : lanes) r += lane;
        for (int i = from; i < n; i++) r = Math.fma(x.getAtIndex(ValueLayout.JAVA_FLOAT, xOff + i), w.getAtIndex(ValueLayout.JAVA_FLOAT, wOff + i), r);
        return r;
    }

    @Override
    public double sum(MemorySegment x, long off, int n) {
        double total = 0;
        float[] lanes = new float[L];
        int i = 0;
        for (; i + SUM_BLOCK <= n; i += SUM_BLOCK) {
            FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
            for (int j = 0; j < SUM_BLOCK; j += 2 * L) {
                acc0 = acc0.add(ld(x, off + i + j));
                acc1 = acc1.add(ld(x, off + i + j + L));
            }
            // fold the lanes in a fixed order: reduceLanes(ADD) leaves the order open, so its bits could change with the JIT tier
            acc0.add(acc1).intoArray(lanes, 0);
            for (float lane : lanes) total += lane;
        }
        return total + tail.sum(x, off + i, n - i);
    }

    @Override
    public float extremum(boolean max, MemorySegment x, long off, int n) {
        int up = S.loopBound(n);
        if (up == 0) return tail.extremum(max, x, off, n);
        FloatVector acc = ld(x, off);
        for (int i = L; i < up; i += L) acc = max ? acc.max(ld(x, off + i)) : acc.min(ld(x, off + i));
        float r = acc.reduceLanes(max ? VectorOperators.MAX : VectorOperators.MIN);
        // reduceLanes may drop a NaN lane; re-check so that NaN always propagates.
        if (!Float.isNaN(r) && acc.test(VectorOperators.IS_NAN).anyTrue()) r = Float.NaN;
        if (up < n) {
            float t = tail.extremum(max, x, off + up, n - up);
            r = max ? Math.max(r, t) : Math.min(r, t);
        }
        return r;
    }
}
