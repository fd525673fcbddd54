package dev.kiln.autograd;

/**
 * Grad mode, per thread: while it is on (the default), an operation on a tensor that requires grad
 * records a {@link Node} so {@code backward()} can run through it.
 * <pre>{@code
 * try (var g = Autograd.noGrad()) {
 *     Tensor logits = model.forward(x);   // nothing recorded, nothing saved
 * }
 * }</pre>
 */
public final class Autograd {
    private Autograd() {}

    private static final ThreadLocal<int[]> DISABLED = ThreadLocal.withInitial(() -> new int[1]);

    /** True when operations on this thread record the graph. */
    public static boolean isEnabled() { return DISABLED.get()[0] == 0; }

    /** Turns recording off on this thread until the returned scope closes; scopes nest. */
    public static NoGrad noGrad() {
        int[] depth = DISABLED.get();
        depth[0]++;
        return new NoGrad(depth);
    }

    /** A no-grad scope; closing it (once) restores the previous mode. */
    public static final class NoGrad implements AutoCloseable {
        private final int[] depth;
        private final Thread owner = Thread.currentThread();
        private boolean closed;

        private NoGrad(int[] depth) { this.depth = depth; }

        @Override
        public void close() {
            if (closed) return;
            if (Thread.currentThread() != owner) throw new IllegalStateException("a no-grad scope must be closed on the thread that opened it");
            closed = true;
            depth[0]--;
        }
    }
}
