package dev.kiln.cpu;

import static dev.kiln.cpu.Elem.F;

import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.UnaryOp;
import java.lang.foreign.MemorySegment;

/** {@link F32Kernels} in plain Java: the fallback without the Vector API, and the tails of the vector loops. */
final class ScalarF32Kernels implements F32Kernels {
    static final ScalarF32Kernels INSTANCE = new ScalarF32Kernels();

    @Override
    public boolean supports(UnaryOp op) {
        return switch (op) {
            case COPY, NEG, ABS, SQUARE, RELU, SQRT, RSQRT, RECIPROCAL, EXP, LOG, TANH, SIGMOID, SILU, SIN, COS -> true;
            default -> false;
        };
    }

    @Override
    public boolean supports(BinaryOp op) {
        return switch (op) {
            case ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, EQ, NE, LT, LE, GT, GE -> true;
            default -> false;
        };
    }

    static float apply(UnaryOp op, float v) {
        return switch (op) {
            case COPY -> v;
            case NEG -> -v;
            case ABS -> Math.abs(v);
            case SQUARE -> v * v;
            case RELU -> Math.max(v, 0f);
            case SQRT -> (float) Math.sqrt(v);
            case RSQRT -> (float) (1 / Math.sqrt(v));
            case RECIPROCAL -> 1f / v;
            case EXP -> (float) Math.exp(v);
            case LOG -> (float) Math.log(v);
            case TANH -> (float) Math.tanh(v);
            case SIGMOID -> (float) MathFns.sigmoid(v);
            case SILU -> (float) (v * MathFns.sigmoid(v));
            case SIN -> (float) Math.sin(v);
            case COS -> (float) Math.cos(v);
            default -> throw new IllegalStateException(op.toString());
        };
    }

    static float apply(BinaryOp op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAXIMUM -> Math.max(a, b);
            case MINIMUM -> Math.min(a, b);
            case EQ -> a == b ? 1f : 0f;
            case NE -> a != b ? 1f : 0f;
            case LT -> a < b ? 1f : 0f;
            case LE -> a <= b ? 1f : 0f;
            case GT -> a > b ? 1f : 0f;
            case GE -> a >= b ? 1f : 0f;
            default -> throw new IllegalStateException(op.toString());
        };
    }

    @Override
    public void unary(UnaryOp op, MemorySegment x, long xOff, MemorySegment out, long outOff, int n) {
        for (int i = 0; i < n; i++) out.setAtIndex(F, outOff + i, apply(op, x.getAtIndex(F, xOff + i)));
    }

    @Override
    public void binary(BinaryOp op, MemorySegment a, long aOff, boolean aBroadcast, MemorySegment b, long bOff, boolean bBroadcast,
                       MemorySegment out, long outOff, int n) {
        long sa = aBroadcast ? 0 : 1, sb = bBroadcast ? 0 : 1;
        for (int i = 0; i < n; i++) {
            out.setAtIndex(F, outOff + i, apply(op, a.getAtIndex(F, aOff + i * sa), b.getAtIndex(F, bOff + i * sb)));
        }
    }

    @Override
    public void dot4(MemorySegment x, long[] xOff, MemorySegment w, long wOff, int n, float[] out) {
        for (int r = 0; r < 4; r++) {
            float acc = 0;
            for (int i = 0; i < n; i++) acc = Math.fma(x.getAtIndex(F, xOff[r] + i), w.getAtIndex(F, wOff + i), acc);
            out[r] = acc;
        }
    }

    @Override
    public double sum(MemorySegment x, long off, int n) {
        double total = 0;
        for (int i = 0; i < n; i++) total += x.getAtIndex(F, off + i);
        return total;
    }

    @Override
    public float extremum(boolean max, MemorySegment x, long off, int n) {
        float r = x.getAtIndex(F, off);
        for (int i = 1; i < n; i++) {
            float v = x.getAtIndex(F, off + i);
            r = max ? Math.max(r, v) : Math.min(r, v);
        }
        return r;
    }
}
