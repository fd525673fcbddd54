package dev.kiln;

import dev.kiln.spi.Backend;
import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.ReduceOp;
import dev.kiln.spi.TernaryOp;
import dev.kiln.spi.UnaryOp;
import dev.kiln.spi.View;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import dev.kiln.autograd.AutogradException;
import dev.kiln.autograd.Node;
import java.lang.ref.Cleaner;

/**
 * An n-dimensional array on one device: a shape, a dtype and a row-major window of a device buffer.
 * Operations follow NumPy/PyTorch semantics (broadcasting, negative axes) and return new tensors;
 * a tensor is always contiguous, so {@code permute}, {@code slice} and friends copy (a reshape, or a
 * slice of whole leading rows, shares the buffer instead).
 *
 * <p>Tensors hold device memory: close them, or make them inside a {@link Scope}. Binary operations
 * need one dtype on both sides (convert with {@link #to(DType)}); comparisons return F32 masks of 0/1.
 * Errors name the op, the shapes and what was expected.
 */
public final class Tensor implements AutoCloseable {
    private final Device device;
    private final Shape shape;
    private final DType dtype;
    private final Storage storage;
    private final long offset;
    private final AtomicBoolean closed = new AtomicBoolean();

    // ---- autograd state (see docs/autograd.md) ----
    private volatile boolean leafRequiresGrad;
    private volatile Node gradFn;
    private int gradSlot;
    private volatile Tensor grad;
    private Graph.Accumulate accumulator;
    private Cleaner.Cleanable graphRef;

    private Tensor(Device device, Shape shape, DType dtype, Storage storage, long offset) {
        this(device, shape, dtype, storage, offset, true);
    }

    private Tensor(Device device, Shape shape, DType dtype, Storage storage, long offset, boolean scoped) {
        this.device = device;
        this.shape = shape;
        this.dtype = dtype;
        this.storage = storage;
        this.offset = offset;
        if (scoped) Scope.register(this);
    }

    static Tensor allocate(Device device, DType dtype, Shape shape) {
        if (!device.backend().dtypes().contains(dtype)) {
            throw new DTypeException("allocate: device " + device + " cannot store " + dtype + " (supports " + device.backend().dtypes() + ")");
        }
        long bytes = Math.max(1, shape.numel()) * dtype.byteSize();
        Tensor t = new Tensor(device, shape, dtype, new Storage(device, device.backend().allocate(bytes)), 0);
        if (POISON && shape.numel() > 0) {
            // debug mode of the conformance kit: fresh outputs hold NaN (or a sentinel), so an element an op forgets to write shows
            device.backend().fill(t.view(), dtype.isFloating() ? Double.NaN : -777_777_777);
        }
        return t;
    }

    /**
     * Set by the conformance kit ({@code -Dkiln.debug.poison=true}): every new tensor starts filled with NaN or a
     * sentinel, and every freed buffer is filled with NaN, so unwritten outputs and reads after free show up.
     */
    static final boolean POISON = Boolean.getBoolean("kiln.debug.poison");

    // ---- identity ----

    public Device device() { return device; }

    public Shape shape() { return shape; }

    public DType dtype() { return dtype; }

    public int rank() { return shape.rank(); }

    public int dim(int axis) { return shape.dim(axis); }

    public long numel() { return shape.numel(); }

    public boolean isClosed() { return closed.get(); }

    /** The strided view primitives take; for backends and fast paths. */
    public View view() {
        checkOpen("view");
        return View.contiguous(storage.buffer, dtype, offset, shape.dims());
    }

    /** Marks the buffer as written, for backend code that wrote it through {@link #view()}. */
    public Tensor markWritten() {
        storage.written = true;
        return this;
    }

    /**
     * Frees the device memory (when no reshaped alias or autograd graph still holds it), and this
     * tensor's gradient. A graph that was never backpropagated is released with its last result. Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            storage.release();
            Tensor g = grad;
            grad = null;
            if (g != null) g.close();
            Cleaner.Cleanable ref = graphRef;
            if (ref != null) ref.clean();
        }
    }

    // ---- autograd ----

    /** True for a leaf marked with {@link #requiresGrad(boolean)} and for every result recorded from one. */
    public boolean requiresGrad() { return leafRequiresGrad || gradFn != null; }

    /** Marks a leaf tensor (one no recorded op produced) as needing a gradient; floating dtypes only. Returns this. */
    public Tensor requiresGrad(boolean on) {
        if (gradFn != null) {
            throw new AutogradException("requiresGrad: tensor " + dtype + " " + shape + " is the result of " + gradFn.name()
                    + ", not a leaf; use detach() to get a leaf");
        }
        if (on && !dtype.isFloating()) throw new AutogradException("requiresGrad: only floating-point tensors have gradients, got " + dtype + " " + shape);
        leafRequiresGrad = on;
        return this;
    }

    /** The gradient accumulated by backward passes (a leaf's), or null. Owned by this tensor: closed with it or by {@link #zeroGrad()}. */
    public Tensor grad() {
        Tensor g = grad;
        return g == null || g.isClosed() ? null : g;
    }

    /** Frees and clears the accumulated gradient. */
    public void zeroGrad() {
        Tensor g = grad;
        grad = null;
        if (g != null) g.close();
    }

    /** The recorded operation that produced this tensor, or null for a leaf or an untracked tensor. */
    public Node gradFn() { return gradFn; }

    /** Backpropagates from this one-element tensor (gradient 1), accumulating into the leaves' {@link #grad()}. */
    public void backward() { backward(null); }

    /** Backpropagates {@code gradient} (this tensor's shape and dtype); the graph is freed as it goes. */
    public void backward(Tensor gradient) {
        checkOpen("backward");
        if (gradient != null) gradient.checkReadable("backward");
        Graph.backward(this, gradient);
    }

    /** The same storage as a new leaf with no history (and no requiresGrad). */
    public Tensor detach() {
        checkOpen("detach");
        return new Tensor(device, shape, dtype, storage.retain(), offset);
    }

    /**
     * A handle on this tensor's storage that no Scope owns and that records nothing: what autograd
     * nodes save for their backward pass. Close it to release the storage.
     */
    public Tensor retainStorage() {
        checkOpen("retainStorage");
        return new Tensor(device, shape, dtype, storage.retain(), offset, false);
    }

    int gradSlot() { return gradSlot; }

    synchronized Graph.Accumulate accumulator() {
        if (accumulator == null) accumulator = new Graph.Accumulate(this);
        return accumulator;
    }

    void attach(Node node, int slot) {
        gradFn = node;
        gradSlot = slot;
        node.retain();
        graphRef = Graph.CLEANER.register(this, node::release);
    }

    /** Adds {@code g} (owned by the caller) into the gradient; the stored gradient belongs to no Scope. */
    synchronized void accumulateGrad(Tensor g) {
        Tensor old = grad();
        if (old == null) {
            // a gradient that shares its buffer (a reshape of another) is copied, so later in-place updates stay private
            try (Tensor own = g.dtype() != dtype || g.storage.shared() ? g.to(dtype) : null) {
                grad = (own != null ? own : g).retainStorage();
            }
            return;
        }
        try (Tensor sum = old.add(g)) {
            grad = sum.retainStorage();
        }
        old.close();
    }

    @Override
    public String toString() { return "Tensor[" + dtype + " " + shape + " on " + device + (isClosed() ? ", closed" : "") + "]"; }

    // ---- checks ----

    private void checkOpen(String op) {
        if (closed.get()) throw new ClosedTensorException(op + ": tensor " + dtype + " " + shape + " was already closed");
    }

    private void checkReadable(String op) {
        checkOpen(op);
        if (!storage.written) {
            throw new UninitializedTensorException(op + ": tensor " + dtype + " " + shape
                    + " was never written (made with empty() and not filled)");
        }
    }

    private void checkSameDevice(String op, Tensor other) {
        if (other.device != device) {
            throw new DeviceMismatchException(op + ": tensors on " + device + " and " + other.device
                    + "; move one with to(Device) first");
        }
    }

    private void checkFloating(String op) {
        if (!dtype.isFloating()) throw new DTypeException(op + ": expected a floating-point tensor, got " + dtype + " " + shape);
    }

    private Backend backend() { return device.backend(); }

    private Tensor newLike(Shape s, DType t) { return allocate(device, t, s); }

    // ---- elementwise ----

    /** Applies a unary primitive; integer tensors accept only the ops {@link UnaryOp#acceptsIntegers()} lists. */
    public Tensor apply(UnaryOp op) {
        return Graph.op(new Tensor[] {this}, () -> applyUntracked(op), r -> TensorRules.unary(op, this, r));
    }

    private Tensor applyUntracked(UnaryOp op) {
        String name = op.name().toLowerCase();
        checkReadable(name);
        if (!dtype.isFloating() && !op.acceptsIntegers()) {
            throw new DTypeException(name + ": needs a floating-point tensor, got " + dtype + " " + shape + "; convert with to(DType.F32)");
        }
        Tensor r = newLike(shape, dtype);
        return writeOrFree(r, () -> { if (numel() > 0) backend().unary(op, view(), r.view()); });
    }

    /** Runs {@code kernel}, which writes {@code out}; when the backend throws (a bad index, an integer division by zero), frees {@code out} first. */
    private static Tensor writeOrFree(Tensor out, Runnable kernel) {
        try {
            kernel.run();
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out.markWritten();
    }

    public Tensor neg() { return apply(UnaryOp.NEG); }
    public Tensor abs() { return apply(UnaryOp.ABS); }
    public Tensor sign() { return apply(UnaryOp.SIGN); }
    public Tensor square() { return apply(UnaryOp.SQUARE); }
    public Tensor exp() { return apply(UnaryOp.EXP); }
    public Tensor log() { return apply(UnaryOp.LOG); }
    public Tensor log1p() { return apply(UnaryOp.LOG1P); }
    public Tensor expm1() { return apply(UnaryOp.EXPM1); }
    public Tensor sqrt() { return apply(UnaryOp.SQRT); }
    public Tensor rsqrt() { return apply(UnaryOp.RSQRT); }
    public Tensor reciprocal() { return apply(UnaryOp.RECIPROCAL); }
    public Tensor sin() { return apply(UnaryOp.SIN); }
    public Tensor cos() { return apply(UnaryOp.COS); }
    public Tensor tanh() { return apply(UnaryOp.TANH); }
    public Tensor sigmoid() { return apply(UnaryOp.SIGMOID); }
    public Tensor erf() { return apply(UnaryOp.ERF); }
    public Tensor relu() { return apply(UnaryOp.RELU); }
    public Tensor gelu() { return apply(UnaryOp.GELU); }
    public Tensor geluTanh() { return apply(UnaryOp.GELU_TANH); }
    public Tensor silu() { return apply(UnaryOp.SILU); }
    public Tensor floor() { return apply(UnaryOp.FLOOR); }
    public Tensor ceil() { return apply(UnaryOp.CEIL); }
    public Tensor round() { return apply(UnaryOp.ROUND); }
    /** Logical not: 1 where zero, 0 elsewhere, in this tensor's dtype. */
    public Tensor logicalNot() { return apply(UnaryOp.NOT); }

    /** Applies a binary primitive with broadcasting. Comparisons and logic return F32 masks. */
    public Tensor apply(BinaryOp op, Tensor other) {
        if (op.isComparison()) return applyUntracked(op, other);
        return Graph.op(new Tensor[] {this, other}, () -> applyUntracked(op, other), r -> TensorRules.binary(op, this, other, r));
    }

    private Tensor applyUntracked(BinaryOp op, Tensor other) {
        String name = op.name().toLowerCase();
        checkReadable(name);
        other.checkReadable(name);
        checkSameDevice(name, other);
        if (other.dtype != dtype) {
            throw new DTypeException(name + ": dtypes " + dtype + " " + shape + " and " + other.dtype + " " + other.shape
                    + " differ; convert one with to(DType)");
        }
        if (!dtype.isFloating() && !op.acceptsIntegers()) {
            throw new DTypeException(name + ": needs floating-point tensors, got " + dtype);
        }
        Shape out = Shape.broadcast(shape, other.shape);
        if (out == null) {
            throw new ShapeException(name + ": shapes " + shape + " and " + other.shape + " do not broadcast");
        }
        Tensor r = newLike(out, op.isComparison() ? DType.F32 : dtype);
        return writeOrFree(r, () -> {
            if (r.numel() > 0) backend().binary(op, view().broadcastTo(out.dims()), other.view().broadcastTo(out.dims()), r.view());
        });
    }

    private Tensor apply(BinaryOp op, double scalar) {
        try (Tensor s = device.full(dtype, scalar)) {
            return apply(op, s);
        }
    }

    public Tensor add(Tensor o) { return apply(BinaryOp.ADD, o); }
    public Tensor sub(Tensor o) { return apply(BinaryOp.SUB, o); }
    public Tensor mul(Tensor o) { return apply(BinaryOp.MUL, o); }
    public Tensor div(Tensor o) { return apply(BinaryOp.DIV, o); }
    public Tensor mod(Tensor o) { return apply(BinaryOp.MOD, o); }
    public Tensor pow(Tensor o) { return apply(BinaryOp.POW, o); }
    public Tensor maximum(Tensor o) { return apply(BinaryOp.MAXIMUM, o); }
    public Tensor minimum(Tensor o) { return apply(BinaryOp.MINIMUM, o); }
    public Tensor eq(Tensor o) { return apply(BinaryOp.EQ, o); }
    public Tensor ne(Tensor o) { return apply(BinaryOp.NE, o); }
    public Tensor lt(Tensor o) { return apply(BinaryOp.LT, o); }
    public Tensor le(Tensor o) { return apply(BinaryOp.LE, o); }
    public Tensor gt(Tensor o) { return apply(BinaryOp.GT, o); }
    public Tensor ge(Tensor o) { return apply(BinaryOp.GE, o); }
    public Tensor logicalAnd(Tensor o) { return apply(BinaryOp.AND, o); }
    public Tensor logicalOr(Tensor o) { return apply(BinaryOp.OR, o); }

    public Tensor add(double s) { return apply(BinaryOp.ADD, s); }
    public Tensor sub(double s) { return apply(BinaryOp.SUB, s); }
    public Tensor mul(double s) { return apply(BinaryOp.MUL, s); }
    public Tensor div(double s) { return apply(BinaryOp.DIV, s); }
    public Tensor mod(double s) { return apply(BinaryOp.MOD, s); }
    public Tensor pow(double s) { return apply(BinaryOp.POW, s); }
    public Tensor maximum(double s) { return apply(BinaryOp.MAXIMUM, s); }
    public Tensor minimum(double s) { return apply(BinaryOp.MINIMUM, s); }
    public Tensor eq(double s) { return apply(BinaryOp.EQ, s); }
    public Tensor ne(double s) { return apply(BinaryOp.NE, s); }
    public Tensor lt(double s) { return apply(BinaryOp.LT, s); }
    public Tensor le(double s) { return apply(BinaryOp.LE, s); }
    public Tensor gt(double s) { return apply(BinaryOp.GT, s); }
    public Tensor ge(double s) { return apply(BinaryOp.GE, s); }

    /** {@code cond != 0 ? a : b} with broadcasting of all three; a and b share a dtype. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        return Graph.op(new Tensor[] {a, b}, () -> whereUntracked(cond, a, b), r -> TensorRules.where(cond, a, b));
    }

    private static Tensor whereUntracked(Tensor cond, Tensor a, Tensor b) {
        cond.checkReadable("where");
        a.checkReadable("where");
        b.checkReadable("where");
        cond.checkSameDevice("where", a);
        cond.checkSameDevice("where", b);
        if (a.dtype != b.dtype) throw new DTypeException("where: value dtypes " + a.dtype + " and " + b.dtype + " differ");
        Shape out = Shape.broadcast(cond.shape, a.shape);
        out = out == null ? null : Shape.broadcast(out, b.shape);
        if (out == null) {
            throw new ShapeException("where: shapes " + cond.shape + ", " + a.shape + " and " + b.shape + " do not broadcast");
        }
        Tensor r = a.newLike(out, a.dtype);
        if (r.numel() > 0) {
            int[] d = out.dims();
            a.backend().ternary(TernaryOp.WHERE, cond.view().broadcastTo(d), a.view().broadcastTo(d), b.view().broadcastTo(d), r.view());
        }
        return r.markWritten();
    }

    /** Clamps into [min, max]. */
    public Tensor clamp(double min, double max) {
        return Graph.op(new Tensor[] {this}, () -> clampUntracked(min, max), r -> TensorRules.clamp(this, min, max));
    }

    private Tensor clampUntracked(double min, double max) {
        checkReadable("clamp");
        if (min > max) throw new KilnException("clamp: min " + min + " > max " + max);
        try (Tensor lo = device.full(dtype, min); Tensor hi = device.full(dtype, max)) {
            Tensor r = newLike(shape, dtype);
            if (numel() > 0) {
                int[] d = shape.dims();
                backend().ternary(TernaryOp.CLAMP, view(), lo.view().broadcastTo(d), hi.view().broadcastTo(d), r.view());
            }
            return r.markWritten();
        }
    }

    /** A converted copy (float to integer truncates toward zero). */
    public Tensor to(DType target) {
        if (!dtype.isFloating() || !target.isFloating()) return toUntracked(target);
        return Graph.op(new Tensor[] {this}, () -> toUntracked(target), r -> TensorRules.cast(dtype));
    }

    private Tensor toUntracked(DType target) {
        checkReadable("to(" + target + ")");
        Tensor r = newLike(shape, target);
        if (numel() > 0) backend().unary(UnaryOp.COPY, view(), r.view());
        return r.markWritten();
    }

    /** A copy on another device (through the host). */
    public Tensor to(Device target) {
        if (!dtype.isFloating()) return toUntracked(target);
        return Graph.op(new Tensor[] {this}, () -> toUntracked(target), r -> TensorRules.move(device));
    }

    private Tensor toUntracked(Device target) {
        checkReadable("to(" + target + ")");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(Math.max(1, numel() * dtype.byteSize()), 64);
            copyTo(host.asSlice(0, numel() * dtype.byteSize()));
            return target.fromSegment(host.asSlice(0, numel() * dtype.byteSize()), dtype, shape.dims());
        }
    }

    /** A copy with its own buffer. */
    public Tensor copy() { return to(dtype); }

    /** Overwrites this tensor with {@code src} (broadcast to this shape, same dtype). */
    public Tensor assign(Tensor src) {
        checkOpen("assign");
        src.checkReadable("assign");
        checkSameDevice("assign", src);
        if (src.dtype != dtype) throw new DTypeException("assign: source " + src.dtype + " into " + dtype);
        if (Shape.broadcast(src.shape, shape) == null || !Shape.broadcast(src.shape, shape).equals(shape)) {
            throw new ShapeException("assign: source " + src.shape + " does not broadcast to " + shape);
        }
        if (numel() > 0) backend().unary(UnaryOp.COPY, src.view().broadcastTo(shape.dims()), view());
        return markWritten();
    }

    /** Writes {@code value} into every element. */
    public Tensor fill(double value) {
        checkOpen("fill");
        if (numel() > 0) backend().fill(view(), value);
        return markWritten();
    }

    // ---- reductions ----

    private int[] reducedAxes(String op, int[] axes) {
        if (axes.length == 0) {
            int[] all = new int[rank()];
            for (int i = 0; i < all.length; i++) all[i] = i;
            return all;
        }
        int[] a = new int[axes.length];
        boolean[] seen = new boolean[rank()];
        for (int i = 0; i < axes.length; i++) {
            try {
                a[i] = shape.normalizeAxis(axes[i]);
            } catch (ShapeException e) {
                throw new ShapeException(op + ": axis " + axes[i] + " is out of range for shape " + shape);
            }
            if (seen[a[i]]) throw new ShapeException(op + ": axis " + axes[i] + " given twice");
            seen[a[i]] = true;
        }
        return a;
    }

    private Tensor reduce(ReduceOp op, String name, int[] axes, boolean keepDim, DType outType) {
        checkReadable(name);
        int[] a = reducedAxes(name, axes);
        int[] kept = shape.dims();
        for (int ax : a) {
            if (kept[ax] == 0 && (op == ReduceOp.MAX || op == ReduceOp.MIN || op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN)) {
                throw new ShapeException(name + ": cannot reduce the empty axis " + ax + " of shape " + shape);
            }
            kept[ax] = 1;
        }
        boolean differentiable = outType.isFloating() && (op == ReduceOp.SUM || op == ReduceOp.MAX || op == ReduceOp.MIN || op == ReduceOp.PROD);
        Tensor r = Graph.op(differentiable ? new Tensor[] {this} : new Tensor[0], () -> {
            Tensor k = newLike(Shape.of(kept), outType);
            if (k.numel() > 0) {
                if (numel() == 0) backend().fill(k.view(), 0);
                else backend().reduce(op, view(), k.view());
            }
            return k.markWritten();
        }, k -> TensorRules.reduce(op, this, a, k));
        if (keepDim) return r;
        int[] squeezed = new int[rank() - a.length];
        boolean[] red = new boolean[rank()];
        for (int ax : a) red[ax] = true;
        for (int i = 0, j = 0; i < rank(); i++) if (!red[i]) squeezed[j++] = shape.dim(i);
        try (r) {
            return r.reshape(squeezed);
        }
    }

    /** Sum over {@code axes} (all when none), dropping them. */
    public Tensor sum(int... axes) { return sum(axes, false); }

    public Tensor sum(int[] axes, boolean keepDim) { return reduce(ReduceOp.SUM, "sum", axes, keepDim, dtype); }

    public Tensor prod(int[] axes, boolean keepDim) { return reduce(ReduceOp.PROD, "prod", axes, keepDim, dtype); }

    public Tensor max(int... axes) { return max(axes, false); }

    public Tensor max(int[] axes, boolean keepDim) { return reduce(ReduceOp.MAX, "max", axes, keepDim, dtype); }

    public Tensor min(int... axes) { return min(axes, false); }

    public Tensor min(int[] axes, boolean keepDim) { return reduce(ReduceOp.MIN, "min", axes, keepDim, dtype); }

    public Tensor mean(int... axes) { return mean(axes, false); }

    public Tensor mean(int[] axes, boolean keepDim) {
        checkFloating("mean");
        long n = 1;
        for (int a : reducedAxes("mean", axes)) n *= shape.dim(a);
        try (Tensor s = sum(axes, keepDim)) {
            return s.mul(1.0 / n);
        }
    }

    /** Variance with Bessel's {@code correction} (1 = unbiased, as torch.var's default). */
    public Tensor var(int[] axes, int correction, boolean keepDim) {
        checkFloating("var");
        long n = 1;
        for (int a : reducedAxes("var", axes)) n *= shape.dim(a);
        try (Tensor m = mean(axes, true); Tensor d = sub(m); Tensor d2 = d.square(); Tensor s = d2.sum(axes, keepDim)) {
            return s.mul(1.0 / Math.max(0, n - correction));
        }
    }

    /** Index of the first maximum along {@code axis}, I64. */
    public Tensor argmax(int axis, boolean keepDim) { return reduce(ReduceOp.ARGMAX, "argmax", new int[] {axis}, keepDim, DType.I64); }

    public Tensor argmax(int axis) { return argmax(axis, false); }

    public Tensor argmin(int axis, boolean keepDim) { return reduce(ReduceOp.ARGMIN, "argmin", new int[] {axis}, keepDim, DType.I64); }

    // ---- matrix product ----

    /**
     * Matrix product with NumPy's rules: 1-D operands become a row or column, leading (batch)
     * dimensions broadcast. F32 only.
     */
    public Tensor matmul(Tensor other) {
        return Graph.op(new Tensor[] {this, other}, () -> matmulUntracked(other), r -> TensorRules.matmul(this, other));
    }

    private Tensor matmulUntracked(Tensor other) {
        checkReadable("matmul");
        other.checkReadable("matmul");
        checkSameDevice("matmul", other);
        if (dtype != DType.F32 || other.dtype != DType.F32) {
            throw new DTypeException("matmul: expected F32 operands, got " + dtype + " and " + other.dtype);
        }
        if (rank() == 0 || other.rank() == 0) {
            throw new ShapeException("matmul: operands must have rank >= 1, got " + shape + " and " + other.shape);
        }
        int[] ad = rank() == 1 ? new int[] {1, shape.dim(0)} : shape.dims();
        int[] bd = other.rank() == 1 ? new int[] {other.shape.dim(0), 1} : other.shape.dims();
        int m = ad[ad.length - 2], k = ad[ad.length - 1], k2 = bd[bd.length - 2], n = bd[bd.length - 1];
        if (k != k2) {
            throw new ShapeException("matmul: shapes " + shape + " and " + other.shape + ": expected a.shape[-1] == b.shape[-2] ("
                    + k + " != " + k2 + ")");
        }
        Shape batchA = Shape.of(Arrays.copyOf(ad, ad.length - 2)), batchB = Shape.of(Arrays.copyOf(bd, bd.length - 2));
        Shape batch = Shape.broadcast(batchA, batchB);
        if (batch == null) {
            throw new ShapeException("matmul: batch dimensions of " + shape + " and " + other.shape + " do not broadcast");
        }
        int b = (int) batch.numel();
        int[] outDims = Arrays.copyOf(batch.dims(), batch.rank() + 2);
        outDims[batch.rank()] = m;
        outDims[batch.rank() + 1] = n;
        Tensor r = newLike(Shape.of(outDims), DType.F32);
        if (r.numel() > 0) {
            if (k == 0) {
                backend().fill(r.view(), 0);
            } else {
                try (Tensor a3 = batched(ad, batchA, batch, m, k); Tensor b3 = other.batched(bd, batchB, batch, k, n)) {
                    View av = a3.view(), bv = b3.view();
                    av = new View(av.buffer(), av.dtype(), av.offset(), new int[] {b, m, k},
                            new long[] {a3.numel() == (long) m * k ? 0 : (long) m * k, k, 1});
                    bv = new View(bv.buffer(), bv.dtype(), bv.offset(), new int[] {b, k, n},
                            new long[] {b3.numel() == (long) k * n ? 0 : (long) k * n, n, 1});
                    backend().matmul(av, bv, View.contiguous(r.storage.buffer, DType.F32, 0, b, m, n), 1f, 0f);
                }
            }
        }
        r.markWritten();
        if (rank() == 1 || other.rank() == 1) {
            int[] squeezed = batch.dims();
            List<Integer> dims = new ArrayList<>();
            for (int d : squeezed) dims.add(d);
            if (rank() != 1) dims.add(m);
            if (other.rank() != 1) dims.add(n);
            try (r) {
                return r.reshape(dims.stream().mapToInt(Integer::intValue).toArray());
            }
        }
        return r;
    }

    /** This operand as [batch or 1, rows, cols], materializing a partial batch broadcast. */
    private Tensor batched(int[] dims, Shape myBatch, Shape batch, int rows, int cols) {
        if (myBatch.numel() == 1 || myBatch.equals(batch) || (myBatch.numel() == batch.numel() && batch.numel() == 1)) {
            return reshape(new int[] {(int) myBatch.numel(), rows, cols});
        }
        int[] target = Arrays.copyOf(batch.dims(), batch.rank() + 2);
        target[batch.rank()] = rows;
        target[batch.rank() + 1] = cols;
        try (Tensor asMatrix = reshape(dims); Tensor expanded = asMatrix.expand(target)) {
            return expanded.reshape(new int[] {(int) batch.numel(), rows, cols});
        }
    }

    // ---- shape ----

    /** Same elements, new shape (one dimension may be -1); shares the buffer. */
    public Tensor reshape(int... dims) {
        checkOpen("reshape");
        int[] d = dims.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < d.length; i++) {
            if (d[i] == -1) {
                if (infer >= 0) throw new ShapeException("reshape: more than one -1 in " + Arrays.toString(dims));
                infer = i;
            } else if (d[i] < 0) {
                throw new ShapeException("reshape: negative dimension in " + Arrays.toString(dims));
            } else {
                known *= d[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel() % known != 0) {
                throw new ShapeException("reshape: cannot reshape " + shape + " (" + numel() + " elements) to " + Arrays.toString(dims));
            }
            d[infer] = (int) (numel() / known);
        }
        Shape s = Shape.of(d);
        if (s.numel() != numel()) {
            throw new ShapeException("reshape: cannot reshape " + shape + " (" + numel() + " elements) to " + s + " (" + s.numel() + ")");
        }
        Shape from = shape;
        return Graph.op(new Tensor[] {this}, () -> new Tensor(device, s, dtype, storage.retain(), offset), r -> TensorRules.reshape(from));
    }

    /** Flattens axes {@code start..end} (inclusive) into one. */
    public Tensor flatten(int start, int end) {
        int s = shape.normalizeAxis(start), e = shape.normalizeAxis(end);
        if (s > e) throw new ShapeException("flatten: start axis " + start + " after end axis " + end + " for shape " + shape);
        int[] d = new int[rank() - (e - s)];
        int j = 0;
        for (int i = 0; i < s; i++) d[j++] = shape.dim(i);
        long f = 1;
        for (int i = s; i <= e; i++) f *= shape.dim(i);
        d[j++] = (int) f;
        for (int i = e + 1; i < rank(); i++) d[j++] = shape.dim(i);
        return reshape(d);
    }

    public Tensor unsqueeze(int axis) {
        int a = axis < 0 ? axis + rank() + 1 : axis;
        if (a < 0 || a > rank()) throw new ShapeException("unsqueeze: axis " + axis + " out of range for shape " + shape);
        int[] d = new int[rank() + 1];
        for (int i = 0, j = 0; i < d.length; i++) d[i] = i == a ? 1 : shape.dim(j++);
        return reshape(d);
    }

    /** Removes {@code axis}, which must have extent 1. */
    public Tensor squeeze(int axis) {
        int a = shape.normalizeAxis(axis);
        if (shape.dim(a) != 1) throw new ShapeException("squeeze: axis " + axis + " of shape " + shape + " has extent " + shape.dim(a) + ", expected 1");
        int[] d = new int[rank() - 1];
        for (int i = 0, j = 0; i < rank(); i++) if (i != a) d[j++] = shape.dim(i);
        return reshape(d);
    }

    private Tensor materialize(String op, View src, int[] dims) {
        checkReadable(op);
        Tensor r = newLike(Shape.of(dims), dtype);
        if (r.numel() > 0) backend().unary(UnaryOp.COPY, src, r.view());
        return r.markWritten();
    }

    /** New axis i is old axis {@code order[i]}. */
    public Tensor permute(int... order) {
        checkOpen("permute");
        if (order.length != rank()) throw new ShapeException("permute: order " + Arrays.toString(order) + " for shape " + shape);
        int[] o = new int[order.length];
        boolean[] seen = new boolean[order.length];
        for (int i = 0; i < o.length; i++) {
            o[i] = shape.normalizeAxis(order[i]);
            if (seen[o[i]]) throw new ShapeException("permute: axis repeated in " + Arrays.toString(order));
            seen[o[i]] = true;
        }
        View v = view().permute(o);
        return Graph.op(new Tensor[] {this}, () -> materialize("permute", v, v.shape()), r -> TensorRules.permute(o));
    }

    public Tensor transpose(int a, int b) {
        int[] o = new int[rank()];
        for (int i = 0; i < o.length; i++) o[i] = i;
        int x = shape.normalizeAxis(a), y = shape.normalizeAxis(b);
        o[x] = y;
        o[y] = x;
        return permute(o);
    }

    /** Broadcasts to {@code dims} (NumPy rules), copying. */
    public Tensor expand(int... dims) {
        checkOpen("expand");
        Shape target = Shape.of(dims);
        Shape b = Shape.broadcast(shape, target);
        if (b == null || !b.equals(target)) throw new ShapeException("expand: shape " + shape + " does not broadcast to " + target);
        return Graph.op(new Tensor[] {this}, () -> materialize("expand", view().broadcastTo(dims), dims), r -> TensorRules.sumTo("expand", shape));
    }

    /** Elements {@code start, start+step, ...} below {@code end} along {@code axis} (negative bounds count from the end). */
    public Tensor slice(int axis, int start, int end, int step) {
        checkOpen("slice");
        int a = shape.normalizeAxis(axis);
        int n = shape.dim(a);
        if (step < 1) throw new ShapeException("slice: step must be >= 1, got " + step);
        int s = Math.clamp(start < 0 ? start + n : start, 0, n);
        int e = Math.clamp(end < 0 ? end + n : end, 0, n);
        int len = e <= s ? 0 : (e - s + step - 1) / step;
        int[] d = shape.dims();
        d[a] = len;
        View v = view();
        long[] st = v.strides().clone();
        long off = v.offset() + (long) s * st[a];
        boolean leadingOnes = true;
        for (int i = 0; i < a; i++) leadingOnes &= shape.dim(i) == 1;
        Tensor[] in = {this};
        java.util.function.Function<Tensor, Node> rule = r -> TensorRules.slice(shape, a, s, step);
        if (leadingOnes && (step == 1 || len <= 1)) {
            checkOpen("slice");
            return Graph.op(in, () -> new Tensor(device, Shape.of(d), dtype, storage.retain(), off), rule);  // a contiguous block: share it
        }
        st[a] *= step;
        return Graph.op(in, () -> materialize("slice", new View(v.buffer(), dtype, off, d, st), d), rule);
    }

    public Tensor narrow(int axis, int start, int length) {
        int a = shape.normalizeAxis(axis);
        if (start < 0 || length < 0 || start + length > shape.dim(a)) {
            throw new ShapeException("narrow: [" + start + ", " + (start + length) + ") is outside axis " + axis + " of shape " + shape);
        }
        return slice(a, start, start + length, 1);
    }

    /** Joins tensors of one dtype and device along {@code axis}; other extents must match. */
    public static Tensor concat(List<Tensor> parts, int axis) {
        if (parts.isEmpty()) throw new ShapeException("concat: no tensors given");
        Tensor[] in = parts.toArray(Tensor[]::new);
        return Graph.op(in, () -> concatUntracked(parts, axis), r -> TensorRules.concat(in, parts.get(0).shape.normalizeAxis(axis)));
    }

    private static Tensor concatUntracked(List<Tensor> parts, int axis) {
        Tensor first = parts.get(0);
        int a = first.shape.normalizeAxis(axis);
        int[] d = first.shape.dims();
        int total = 0;
        for (Tensor t : parts) {
            t.checkReadable("concat");
            first.checkSameDevice("concat", t);
            if (t.dtype != first.dtype) throw new DTypeException("concat: dtypes " + first.dtype + " and " + t.dtype + " differ");
            boolean fits = t.rank() == first.rank();
            for (int i = 0; fits && i < d.length; i++) fits = i == a || t.shape.dim(i) == d[i];
            if (!fits) throw new ShapeException("concat: shape " + t.shape + " does not match " + first.shape + " outside axis " + axis);
            total += t.shape.dim(a);
        }
        d[a] = total;
        Tensor r = first.newLike(Shape.of(d), first.dtype);
        View rv = r.view();
        long at = 0;
        for (Tensor t : parts) {
            if (t.numel() > 0) {
                View dst = new View(rv.buffer(), rv.dtype(), rv.offset() + at * rv.strides()[a], t.shape.dims(), rv.strides());
                first.backend().unary(UnaryOp.COPY, t.view(), dst);
            }
            at += t.shape.dim(a);
        }
        return r.markWritten();
    }

    /** Stacks equal-shaped tensors along a new axis. */
    public static Tensor stack(List<Tensor> parts, int axis) {
        if (parts.isEmpty()) throw new ShapeException("stack: no tensors given");
        List<Tensor> lifted = new ArrayList<>();
        try {
            for (Tensor t : parts) {
                if (!t.shape.equals(parts.get(0).shape)) throw new ShapeException("stack: shapes " + parts.get(0).shape + " and " + t.shape + " differ");
                lifted.add(t.unsqueeze(axis));
            }
            return concat(lifted, axis < 0 ? axis + parts.get(0).rank() + 1 : axis);
        } finally {
            lifted.forEach(Tensor::close);
        }
    }

    /** Splits along {@code axis} into pieces of the given sizes, which must add up to the extent. */
    public List<Tensor> split(int[] sizes, int axis) {
        int a = shape.normalizeAxis(axis);
        int sum = Arrays.stream(sizes).sum();
        if (sum != shape.dim(a) || Arrays.stream(sizes).anyMatch(s -> s < 0)) {
            throw new ShapeException("split: sizes " + Arrays.toString(sizes) + " do not add up to axis " + axis + " of shape " + shape);
        }
        List<Tensor> out = new ArrayList<>();
        int at = 0;
        for (int s : sizes) {
            out.add(narrow(a, at, s));
            at += s;
        }
        return out;
    }

    /** Splits into {@code n} equal pieces along {@code axis}. */
    public List<Tensor> chunk(int n, int axis) {
        int a = shape.normalizeAxis(axis);
        if (n < 1 || shape.dim(a) % n != 0) throw new ShapeException("chunk: axis " + axis + " of shape " + shape + " does not split into " + n + " equal parts");
        int[] sizes = new int[n];
        Arrays.fill(sizes, shape.dim(a) / n);
        return split(sizes, a);
    }

    // ---- indexing ----

    private void checkIndex(String op, Tensor index) {
        index.checkReadable(op);
        checkSameDevice(op, index);
        if (index.dtype != DType.I64 && index.dtype != DType.I32) {
            throw new DTypeException(op + ": index must be I64 or I32, got " + index.dtype + " " + index.shape);
        }
    }

    /** {@code out[i][j][k] = this[i][index[i][j][k]][k]} for axis 1, as {@code torch.gather}: index has this rank, out its shape. */
    public Tensor gather(int axis, Tensor index) {
        return Graph.op(new Tensor[] {this}, () -> gatherUntracked(axis, index), r -> TensorRules.gather(this, shape.normalizeAxis(axis), index));
    }

    private Tensor gatherUntracked(int axis, Tensor index) {
        checkReadable("gather");
        checkIndex("gather", index);
        int a = shape.normalizeAxis(axis);
        if (index.rank() != rank()) throw new ShapeException("gather: index " + index.shape + " must have the rank of input " + shape);
        for (int i = 0; i < rank(); i++) {
            if (i != a && index.shape.dim(i) > shape.dim(i)) {
                throw new ShapeException("gather: index " + index.shape + " exceeds input " + shape + " on axis " + i);
            }
        }
        Tensor r = newLike(index.shape, dtype);
        return writeOrFree(r, () -> {
            if (r.numel() == 0) return;
            View v = view();
            int[] srcShape = index.shape.dims();
            srcShape[a] = shape.dim(a);
            backend().gather(new View(v.buffer(), dtype, v.offset(), srcShape, v.strides()), a, index.view(), r.view());
        });
    }

    /** Picks entries {@code index} (1-D) along {@code axis}, as {@code torch.index_select}; embedding lookup is {@code weight.indexSelect(0, ids)}. */
    public Tensor indexSelect(int axis, Tensor index) {
        return Graph.op(new Tensor[] {this}, () -> indexSelectUntracked(axis, index), r -> TensorRules.indexSelect(this, shape.normalizeAxis(axis), index));
    }

    private Tensor indexSelectUntracked(int axis, Tensor index) {
        checkReadable("indexSelect");
        checkIndex("indexSelect", index);
        if (index.rank() != 1) throw new ShapeException("indexSelect: index must be 1-D, got " + index.shape);
        int a = shape.normalizeAxis(axis);
        int[] d = shape.dims();
        d[a] = index.shape.dim(0);
        Tensor r = newLike(Shape.of(d), dtype);
        return writeOrFree(r, () -> { if (r.numel() > 0) backend().gather(view(), a, spread(index, d, a), r.view()); });
    }

    /** A 1-D index seen as a tensor of {@code dims} that varies along {@code axis} only. */
    private static View spread(Tensor index, int[] dims, int axis) {
        View iv = index.view();
        long[] st = new long[dims.length];
        st[axis] = 1;
        return new View(iv.buffer(), iv.dtype(), iv.offset(), dims.clone(), st);
    }

    /** A copy of this with {@code src} added at {@code index} along {@code axis}, as {@code torch.scatter_add}. */
    public Tensor scatterAdd(int axis, Tensor index, Tensor src) {
        return Graph.op(new Tensor[] {this, src}, () -> scatterAddUntracked(axis, index, src),
                r -> TensorRules.scatterAdd(shape.normalizeAxis(axis), index, src.shape));
    }

    private Tensor scatterAddUntracked(int axis, Tensor index, Tensor src) {
        checkReadable("scatterAdd");
        src.checkReadable("scatterAdd");
        checkIndex("scatterAdd", index);
        checkSameDevice("scatterAdd", src);
        if (src.dtype != dtype) throw new DTypeException("scatterAdd: source " + src.dtype + " into " + dtype);
        int a = shape.normalizeAxis(axis);
        if (index.rank() != rank() || src.rank() != rank()) {
            throw new ShapeException("scatterAdd: index " + index.shape + " and src " + src.shape + " must have the rank of " + shape);
        }
        for (int i = 0; i < rank(); i++) {
            if (index.shape.dim(i) > src.shape.dim(i) || (i != a && index.shape.dim(i) > shape.dim(i))) {
                throw new ShapeException("scatterAdd: index " + index.shape + " exceeds src " + src.shape + " or self " + shape + " on axis " + i);
            }
        }
        Tensor r = copy();
        return writeOrFree(r, () -> {
            if (index.numel() == 0) return;
            View sv = src.view(), rv = r.view();
            int[] outShape = index.shape.dims();
            outShape[a] = shape.dim(a);
            backend().scatterAdd(new View(sv.buffer(), dtype, sv.offset(), index.shape.dims(), sv.strides()), a, index.view(),
                    new View(rv.buffer(), dtype, rv.offset(), outShape, rv.strides()));
        });
    }

    /** A copy of this with the slices of {@code src} added at positions {@code index} (1-D) along {@code axis}, as {@code torch.index_add}. */
    public Tensor indexAdd(int axis, Tensor index, Tensor src) {
        return Graph.op(new Tensor[] {this, src}, () -> indexAddUntracked(axis, index, src), r -> TensorRules.indexAdd(shape.normalizeAxis(axis), index));
    }

    private Tensor indexAddUntracked(int axis, Tensor index, Tensor src) {
        checkReadable("indexAdd");
        src.checkReadable("indexAdd");
        checkIndex("indexAdd", index);
        checkSameDevice("indexAdd", src);
        int a = shape.normalizeAxis(axis);
        int[] expect = shape.dims();
        if (index.rank() != 1) throw new ShapeException("indexAdd: index must be 1-D, got " + index.shape);
        expect[a] = index.shape.dim(0);
        if (!src.shape.equals(Shape.of(expect))) throw new ShapeException("indexAdd: src " + src.shape + ", expected " + Shape.of(expect));
        if (src.dtype != dtype) throw new DTypeException("indexAdd: source " + src.dtype + " into " + dtype);
        Tensor r = copy();
        return writeOrFree(r, () -> { if (src.numel() > 0) backend().scatterAdd(src.view(), a, spread(index, expect, a), r.view()); });
    }

    /** One-hot F32 encoding of an integer tensor: shape [..., numClasses]. */
    public Tensor oneHot(int numClasses) {
        checkReadable("oneHot");
        if (dtype.isFloating()) throw new DTypeException("oneHot: expected I64 or I32 class indices, got " + dtype);
        if (numClasses < 1) throw new ShapeException("oneHot: numClasses must be >= 1, got " + numClasses);
        int[] d = Arrays.copyOf(shape.dims(), rank() + 1);
        d[rank()] = numClasses;
        try (Tensor classes = device.arange(dtype, 0, numClasses, 1); Tensor idx = unsqueeze(-1)) {
            Tensor r = newLike(Shape.of(d), DType.F32);
            if (r.numel() > 0) backend().binary(BinaryOp.EQ, idx.view().broadcastTo(d), classes.view().broadcastTo(d), r.view());
            return r.markWritten();
        }
    }

    // ---- reading back ----

    /** Copies the raw elements (native byte order) into {@code dst}, which must be exactly numel * byteSize long. */
    public void copyTo(MemorySegment dst) {
        checkReadable("copyTo");
        long bytes = numel() * dtype.byteSize();
        if (dst.byteSize() != bytes) {
            throw new ShapeException("copyTo: destination has " + dst.byteSize() + " bytes, " + dtype + " " + shape + " needs " + bytes);
        }
        if (bytes > 0) backend().download(storage.buffer, offset * dtype.byteSize(), dst);
    }

    public float[] toFloatArray() {
        checkReadable("toFloatArray");
        if (dtype != DType.F32) {
            try (Tensor f = to(DType.F32)) {
                return f.toFloatArray();
            }
        }
        float[] out = new float[Math.toIntExact(numel())];
        copyTo(MemorySegment.ofArray(out));
        return out;
    }

    public long[] toLongArray() {
        checkReadable("toLongArray");
        if (dtype != DType.I64) {
            try (Tensor f = to(DType.I64)) {
                return f.toLongArray();
            }
        }
        long[] out = new long[Math.toIntExact(numel())];
        copyTo(MemorySegment.ofArray(out));
        return out;
    }

    public int[] toIntArray() {
        checkReadable("toIntArray");
        if (dtype != DType.I32) {
            try (Tensor f = to(DType.I32)) {
                return f.toIntArray();
            }
        }
        int[] out = new int[Math.toIntExact(numel())];
        copyTo(MemorySegment.ofArray(out));
        return out;
    }

    /** The value of a one-element tensor. */
    public double item() {
        if (numel() != 1) throw new ShapeException("item: expected one element, got shape " + shape);
        return switch (dtype) {
            case I64 -> toLongArray()[0];
            case I32 -> toIntArray()[0];
            default -> toFloatArray()[0];
        };
    }

}
