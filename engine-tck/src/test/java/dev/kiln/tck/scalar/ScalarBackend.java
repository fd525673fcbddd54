package dev.kiln.tck.scalar;

import dev.kiln.DType;
import dev.kiln.KilnException;
import dev.kiln.spi.Backend;
import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.Buffer;
import dev.kiln.spi.CachingAllocator;
import dev.kiln.spi.Distribution;
import dev.kiln.spi.Philox;
import dev.kiln.spi.ReduceOp;
import dev.kiln.spi.SpecialFunctions;
import dev.kiln.spi.TernaryOp;
import dev.kiln.spi.UnaryOp;
import dev.kiln.spi.View;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumSet;
import java.util.Set;

/**
 * The smallest backend there is: the primitives, one element at a time, in plain Java, and no fast
 * paths at all. The conformance kit runs every case on it, which proves two things: that every
 * composite default in engine-api works, and that a plugin needs nothing but these primitives.
 * It is also a readable statement of what each primitive means.
 */
final class ScalarBackend implements Backend {

    private record HeapBuffer(MemorySegment segment) implements Buffer {
        @Override public long byteSize() { return segment.byteSize(); }
    }

    private final CachingAllocator<HeapBuffer> allocator = new CachingAllocator<>("scalar", new CachingAllocator.Device<>() {
        /** Java arrays stop at 2^31 elements, and the heap may be smaller: both are this device's out-of-memory. */
        @Override public HeapBuffer allocate(long bytes) {
            long words = (bytes + 7) / 8;
            if (words > Integer.MAX_VALUE - 8) return null;
            try {
                return new HeapBuffer(MemorySegment.ofArray(new long[(int) words]));
            } catch (OutOfMemoryError e) {
                return null;
            }
        }

        @Override public void free(HeapBuffer buffer) {}
    });

    @Override public String name() { return "scalar"; }

    @Override public String description() { return "primitives-only scalar reference backend"; }

    @Override public Set<DType> dtypes() { return EnumSet.allOf(DType.class); }

    @Override public Buffer allocate(long bytes) { return allocator.allocate(bytes); }

    @Override public void free(Buffer buffer) { allocator.free((HeapBuffer) buffer); }

    @Override public long bytesInUse() { return allocator.bytesInUse(); }

    private static MemorySegment seg(Buffer b) { return ((HeapBuffer) b).segment(); }

    @Override public void upload(MemorySegment src, Buffer dst, long dstOffset) { MemorySegment.copy(src, 0, seg(dst), dstOffset, src.byteSize()); }

    @Override public void download(Buffer src, long srcOffset, MemorySegment dst) { MemorySegment.copy(seg(src), srcOffset, dst, 0, dst.byteSize()); }

    @Override public void copy(Buffer src, long srcOffset, Buffer dst, long dstOffset, long bytes) {
        MemorySegment.copy(seg(src), srcOffset, seg(dst), dstOffset, bytes);
    }

    @Override public void synchronize() {}

    // ---- element access ----

    /** Element position in the buffer of the element with row-major index {@code linear} of the view. */
    private static long at(View v, long linear) {
        long pos = v.offset();
        int[] shape = v.shape();
        for (int d = shape.length - 1; d >= 0; d--) {
            pos += (linear % shape[d]) * v.strides()[d];
            linear /= shape[d];
        }
        return pos;
    }

    private static double read(View v, long i) {
        MemorySegment s = seg(v.buffer());
        long p = at(v, i);
        return switch (v.dtype()) {
            case F32 -> s.getAtIndex(ValueLayout.JAVA_FLOAT, p);
            case I32 -> s.getAtIndex(ValueLayout.JAVA_INT, p);
            case I64 -> s.getAtIndex(ValueLayout.JAVA_LONG, p);
            case F16 -> Float.float16ToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT, p));
            case BF16 -> Float.intBitsToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT, p) << 16);
        };
    }

    private static long readLong(View v, long i) {
        MemorySegment s = seg(v.buffer());
        long p = at(v, i);
        return switch (v.dtype()) {
            case I32 -> s.getAtIndex(ValueLayout.JAVA_INT, p);
            case I64 -> s.getAtIndex(ValueLayout.JAVA_LONG, p);
            default -> (long) read(v, i);
        };
    }

    private static void write(View v, long i, double x) {
        MemorySegment s = seg(v.buffer());
        long p = at(v, i);
        switch (v.dtype()) {
            case F32 -> s.setAtIndex(ValueLayout.JAVA_FLOAT, p, (float) x);
            case I32 -> s.setAtIndex(ValueLayout.JAVA_INT, p, (int) x);
            case I64 -> s.setAtIndex(ValueLayout.JAVA_LONG, p, (long) x);
            case F16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, p, Float.floatToFloat16((float) x));
            case BF16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, p, bf16((float) x));
        }
    }

    private static void writeLong(View v, long i, long x) {
        MemorySegment s = seg(v.buffer());
        long p = at(v, i);
        switch (v.dtype()) {
            case I32 -> s.setAtIndex(ValueLayout.JAVA_INT, p, (int) x);
            case I64 -> s.setAtIndex(ValueLayout.JAVA_LONG, p, x);
            default -> write(v, i, x);
        }
    }

    /** float32 to bfloat16, round to nearest even. */
    private static short bf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    // ---- primitives ----

    @Override public void fill(View out, double value) {
        for (long i = 0; i < out.numel(); i++) {
            if (out.dtype().isFloating()) write(out, i, value); else writeLong(out, i, (long) value);
        }
    }

    @Override public void unary(UnaryOp op, View x, View out) {
        boolean integer = !x.dtype().isFloating();
        for (long i = 0; i < out.numel(); i++) {
            if (integer) {
                long a = readLong(x, i);
                long r = switch (op) {
                    case COPY -> a;
                    case NEG -> -a;
                    case ABS -> Math.abs(a);
                    case SIGN -> Long.signum(a);
                    case SQUARE -> a * a;
                    case NOT -> a == 0 ? 1 : 0;
                    default -> throw new KilnException("unary " + op + ": not defined on " + x.dtype());
                };
                writeLong(out, i, r);
            } else {
                write(out, i, unaryFloat(op, read(x, i)));
            }
        }
    }

    static double unaryFloat(UnaryOp op, double a) {
        return switch (op) {
            case COPY -> a;
            case NEG -> -a;
            case ABS -> Math.abs(a);
            case SIGN -> Math.signum(a);
            case SQUARE -> a * a;
            case NOT -> a == 0 ? 1 : 0;
            case EXP -> Math.exp(a);
            case LOG -> Math.log(a);
            case LOG1P -> Math.log1p(a);
            case EXPM1 -> Math.expm1(a);
            case SQRT -> Math.sqrt(a);
            case RSQRT -> 1 / Math.sqrt(a);
            case RECIPROCAL -> 1 / a;
            case SIN -> Math.sin(a);
            case COS -> Math.cos(a);
            case TANH -> Math.tanh(a);
            case SIGMOID -> SpecialFunctions.sigmoid(a);
            case ERF -> SpecialFunctions.erf(a);
            case RELU -> a > 0 ? a : (Double.isNaN(a) ? a : 0);
            case GELU -> SpecialFunctions.gelu(a);
            case GELU_TANH -> SpecialFunctions.geluTanh(a);
            case SILU -> a * SpecialFunctions.sigmoid(a);
            case FLOOR -> Math.floor(a);
            case CEIL -> Math.ceil(a);
            case ROUND -> Math.rint(a);
        };
    }

    @Override public void binary(BinaryOp op, View a, View b, View out) {
        boolean integer = !a.dtype().isFloating();
        for (long i = 0; i < out.numel(); i++) {
            if (integer) {
                long x = readLong(a, i), y = readLong(b, i);
                long r = switch (op) {
                    case ADD -> x + y;
                    case SUB -> x - y;
                    case MUL -> x * y;
                    case DIV -> {
                        if (y == 0) throw new KilnException("binary DIV: integer division by zero");
                        yield Math.floorDiv(x, y);
                    }
                    case MOD -> {
                        if (y == 0) throw new KilnException("binary MOD: integer modulo by zero");
                        yield Math.floorMod(x, y);
                    }
                    case POW -> throw new KilnException("binary POW: not defined on " + a.dtype());
                    case MAXIMUM -> Math.max(x, y);
                    case MINIMUM -> Math.min(x, y);
                    case EQ -> x == y ? 1 : 0;
                    case NE -> x != y ? 1 : 0;
                    case LT -> x < y ? 1 : 0;
                    case LE -> x <= y ? 1 : 0;
                    case GT -> x > y ? 1 : 0;
                    case GE -> x >= y ? 1 : 0;
                    case AND -> x != 0 && y != 0 ? 1 : 0;
                    case OR -> x != 0 || y != 0 ? 1 : 0;
                };
                writeLong(out, i, r);
            } else {
                write(out, i, binaryFloat(op, read(a, i), read(b, i)));
            }
        }
    }

    static double binaryFloat(BinaryOp op, double x, double y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case MOD -> x - Math.floor(x / y) * y;
            case POW -> Math.pow(x, y);
            case MAXIMUM -> Double.isNaN(x) || Double.isNaN(y) ? Double.NaN : Math.max(x, y);
            case MINIMUM -> Double.isNaN(x) || Double.isNaN(y) ? Double.NaN : Math.min(x, y);
            case EQ -> x == y ? 1 : 0;
            case NE -> x != y ? 1 : 0;
            case LT -> x < y ? 1 : 0;
            case LE -> x <= y ? 1 : 0;
            case GT -> x > y ? 1 : 0;
            case GE -> x >= y ? 1 : 0;
            case AND -> x != 0 && y != 0 ? 1 : 0;
            case OR -> x != 0 || y != 0 ? 1 : 0;
        };
    }

    @Override public void ternary(TernaryOp op, View a, View b, View c, View out) {
        boolean integer = !b.dtype().isFloating();
        for (long i = 0; i < out.numel(); i++) {
            switch (op) {
                case WHERE -> {
                    boolean cond = read(a, i) != 0;
                    if (integer) writeLong(out, i, cond ? readLong(b, i) : readLong(c, i));
                    else write(out, i, cond ? read(b, i) : read(c, i));
                }
                case CLAMP -> {
                    if (integer) writeLong(out, i, Math.min(Math.max(readLong(a, i), readLong(b, i)), readLong(c, i)));
                    else {
                        double x = read(a, i);
                        write(out, i, Double.isNaN(x) ? x : Math.min(Math.max(x, read(b, i)), read(c, i)));
                    }
                }
            }
        }
    }

    @Override public void reduce(ReduceOp op, View x, View out) {
        int rank = x.rank();
        int[] inner = new int[rank];   // the reduced sub-shape: x's extent on reduced axes, 1 elsewhere
        for (int d = 0; d < rank; d++) inner[d] = out.shape()[d] == 1 ? x.shape()[d] : 1;
        long n = 1;
        for (int e : inner) n *= e;
        boolean integer = !x.dtype().isFloating();
        for (long o = 0; o < out.numel(); o++) {
            // the view of x's elements that reduce into out element o
            long base = x.offset();
            long rest = o;
            for (int d = rank - 1; d >= 0; d--) {
                long idx = rest % out.shape()[d];
                rest /= out.shape()[d];
                if (out.shape()[d] != 1 || x.shape()[d] == 1) base += idx * x.strides()[d];
            }
            View group = new View(x.buffer(), x.dtype(), base, inner, x.strides());
            switch (op) {
                case SUM, PROD -> {
                    if (integer) {
                        long acc = op == ReduceOp.SUM ? 0 : 1;
                        for (long i = 0; i < n; i++) acc = op == ReduceOp.SUM ? acc + readLong(group, i) : acc * readLong(group, i);
                        writeLong(out, o, acc);
                    } else {
                        double acc = op == ReduceOp.SUM ? 0 : 1;
                        for (long i = 0; i < n; i++) acc = op == ReduceOp.SUM ? acc + read(group, i) : acc * read(group, i);
                        write(out, o, acc);
                    }
                }
                case MAX, MIN -> {
                    if (integer) {
                        long acc = readLong(group, 0);
                        for (long i = 1; i < n; i++) acc = op == ReduceOp.MAX ? Math.max(acc, readLong(group, i)) : Math.min(acc, readLong(group, i));
                        writeLong(out, o, acc);
                    } else {
                        double acc = read(group, 0);
                        for (long i = 1; i < n && !Double.isNaN(acc); i++) {
                            double v = read(group, i);
                            acc = Double.isNaN(v) ? v : op == ReduceOp.MAX ? Math.max(acc, v) : Math.min(acc, v);
                        }
                        write(out, o, acc);
                    }
                }
                case ARGMAX, ARGMIN -> {
                    long best = 0;
                    double bv = read(group, 0);
                    for (long i = 1; i < n && !Double.isNaN(bv); i++) {
                        double v = read(group, i);
                        if (Double.isNaN(v) || (op == ReduceOp.ARGMAX ? v > bv : v < bv)) {
                            best = i;
                            bv = v;
                        }
                    }
                    writeLong(out, o, best);
                }
            }
        }
    }

    @Override public void matmul(View a, View b, View c, float alpha, float beta) {
        int batch = c.shape()[0], m = c.shape()[1], n = c.shape()[2], k = a.shape()[2];
        for (int p = 0; p < batch; p++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    for (int q = 0; q < k; q++) {
                        acc += get(a, p, i, q) * get(b, p, q, j);
                    }
                    long ci = ((long) p * m + i) * n + j;
                    double r = alpha * acc + (beta == 0 ? 0 : beta * read(c, ci));
                    write(c, ci, r);
                }
            }
        }
    }

    private static double get(View v, int p, int i, int j) {
        long pos = v.offset() + p * v.strides()[0] + i * v.strides()[1] + j * v.strides()[2];
        return seg(v.buffer()).getAtIndex(ValueLayout.JAVA_FLOAT, pos);
    }

    /** Position, in {@code src}, of the element that index element {@code i} points at along {@code axis}. */
    private static long indexed(String op, View src, int axis, View index, View shapeOf, long i) {
        long idx = readLong(index, i);
        if (idx < 0 || idx >= src.shape()[axis]) {
            throw new KilnException(op + ": index " + idx + " is out of range for axis " + axis + " of extent " + src.shape()[axis]);
        }
        long pos = src.offset();
        long rest = i;
        for (int d = shapeOf.rank() - 1; d >= 0; d--) {
            long coord = rest % shapeOf.shape()[d];
            rest /= shapeOf.shape()[d];
            pos += (d == axis ? idx : coord) * src.strides()[d];
        }
        return pos;
    }

    @Override public void gather(View src, int axis, View index, View out) {
        for (long i = 0; i < out.numel(); i++) {
            long pos = indexed("gather", src, axis, index, out, i);
            View one = new View(src.buffer(), src.dtype(), pos, new int[0], new long[0]);
            if (src.dtype().isFloating()) write(out, i, read(one, 0)); else writeLong(out, i, readLong(one, 0));
        }
    }

    @Override public void scatterAdd(View src, int axis, View index, View out) {
        for (long i = 0; i < src.numel(); i++) {
            long pos = indexed("scatterAdd", out, axis, index, src, i);
            View one = new View(out.buffer(), out.dtype(), pos, new int[0], new long[0]);
            if (out.dtype().isFloating()) write(one, 0, read(one, 0) + read(src, i));
            else writeLong(one, 0, readLong(one, 0) + readLong(src, i));
        }
    }

    @Override public void random(Distribution distribution, long seed, long offset, View out) {
        for (long i = 0; i < out.numel(); i++) {
            write(out, i, distribution == Distribution.UNIFORM ? Philox.uniform(seed, offset, i) : Philox.normal(seed, offset, i));
        }
    }
}
