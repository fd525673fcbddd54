package dev.kiln.cpu;

import dev.kiln.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Element access by dtype. Offsets and strides count elements. Rows are moved through double[]
 * (floating values) or long[] (integers, so I64 keeps all 64 bits) with the dtype switch outside
 * the loop.
 */
final class Elem {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT;

    private Elem() {}

    static float bf16ToFloat(short h) { return Float.intBitsToFloat((h & 0xFFFF) << 16); }

    /** Round to nearest even; NaN stays a (quiet) NaN. */
    static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    static double getD(MemorySegment s, DType t, long i) {
        return switch (t) {
            case F32 -> s.getAtIndex(F, i);
            case I32 -> s.getAtIndex(I, i);
            case I64 -> s.getAtIndex(L, i);
            case F16 -> Float.float16ToFloat(s.getAtIndex(S, i));
            case BF16 -> bf16ToFloat(s.getAtIndex(S, i));
        };
    }

    static long getL(MemorySegment s, DType t, long i) {
        return switch (t) {
            case I32 -> s.getAtIndex(I, i);
            case I64 -> s.getAtIndex(L, i);
            default -> (long) getD(s, t, i);
        };
    }

    static void putD(MemorySegment s, DType t, long i, double v) {
        switch (t) {
            case F32 -> s.setAtIndex(F, i, (float) v);
            case I32 -> s.setAtIndex(I, i, (int) v);
            case I64 -> s.setAtIndex(L, i, (long) v);
            case F16 -> s.setAtIndex(S, i, Float.floatToFloat16((float) v));
            case BF16 -> s.setAtIndex(S, i, floatToBf16((float) v));
        }
    }

    static void putL(MemorySegment s, DType t, long i, long v) {
        switch (t) {
            case I32 -> s.setAtIndex(I, i, (int) v);
            case I64 -> s.setAtIndex(L, i, v);
            default -> putD(s, t, i, (double) v);
        }
    }

    static void loadD(MemorySegment s, DType t, long off, long st, int n, double[] dst) {
        switch (t) {
            case F32 -> { for (int j = 0; j < n; j++) dst[j] = s.getAtIndex(F, off + j * st); }
            case I32 -> { for (int j = 0; j < n; j++) dst[j] = s.getAtIndex(I, off + j * st); }
            case I64 -> { for (int j = 0; j < n; j++) dst[j] = s.getAtIndex(L, off + j * st); }
            case F16 -> { for (int j = 0; j < n; j++) dst[j] = Float.float16ToFloat(s.getAtIndex(S, off + j * st)); }
            case BF16 -> { for (int j = 0; j < n; j++) dst[j] = bf16ToFloat(s.getAtIndex(S, off + j * st)); }
        }
    }

    static void loadL(MemorySegment s, DType t, long off, long st, int n, long[] dst) {
        switch (t) {
            case I32 -> { for (int j = 0; j < n; j++) dst[j] = s.getAtIndex(I, off + j * st); }
            case I64 -> { for (int j = 0; j < n; j++) dst[j] = s.getAtIndex(L, off + j * st); }
            default -> { for (int j = 0; j < n; j++) dst[j] = (long) getD(s, t, off + j * st); }
        }
    }

    static void storeD(MemorySegment s, DType t, long off, long st, int n, double[] src) {
        switch (t) {
            case F32 -> { for (int j = 0; j < n; j++) s.setAtIndex(F, off + j * st, (float) src[j]); }
            case I32 -> { for (int j = 0; j < n; j++) s.setAtIndex(I, off + j * st, (int) src[j]); }
            case I64 -> { for (int j = 0; j < n; j++) s.setAtIndex(L, off + j * st, (long) src[j]); }
            case F16 -> { for (int j = 0; j < n; j++) s.setAtIndex(S, off + j * st, Float.floatToFloat16((float) src[j])); }
            case BF16 -> { for (int j = 0; j < n; j++) s.setAtIndex(S, off + j * st, floatToBf16((float) src[j])); }
        }
    }

    static void storeL(MemorySegment s, DType t, long off, long st, int n, long[] src) {
        switch (t) {
            case I32 -> { for (int j = 0; j < n; j++) s.setAtIndex(I, off + j * st, (int) src[j]); }
            case I64 -> { for (int j = 0; j < n; j++) s.setAtIndex(L, off + j * st, src[j]); }
            default -> { for (int j = 0; j < n; j++) putD(s, t, off + j * st, (double) src[j]); }
        }
    }

    /** Copies one element's bits (same dtype on both sides). */
    static void copyBits(MemorySegment src, long si, MemorySegment dst, long di, DType t) {
        switch (t.byteSize()) {
            case 2 -> dst.setAtIndex(S, di, src.getAtIndex(S, si));
            case 4 -> dst.setAtIndex(I, di, src.getAtIndex(I, si));
            default -> dst.setAtIndex(L, di, src.getAtIndex(L, si));
        }
    }
}
