package dev.kiln;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.Collections;

/**
 * Frees, when closed, every tensor created on this thread while it was open, except those passed to
 * {@link #keep}, which move to the enclosing scope (or to nobody, at the outermost one).
 * <pre>{@code
 * try (Scope s = Kiln.scope()) {
 *     Tensor h = x.matmul(w).relu();
 *     return s.keep(h.sum());
 * }
 * }</pre>
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<Scope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final List<Tensor> owned = new ArrayList<>();
    private final Set<Tensor> kept = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed;

    Scope() { STACK.get().push(this); }

    static void register(Tensor t) {
        Scope s = STACK.get().peek();
        if (s != null) s.owned.add(t);
    }

    /** Keeps {@code t} alive past this scope and returns it. */
    public Tensor keep(Tensor t) {
        kept.add(t);
        return t;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        ArrayDeque<Scope> stack = STACK.get();
        if (stack.peek() != this) throw new IllegalStateException("scopes must be closed in the reverse order of opening, on their own thread");
        stack.pop();
        Scope parent = stack.peek();
        for (Tensor t : owned) {
            if (kept.contains(t)) {
                if (parent != null) parent.owned.add(t);
            } else {
                t.close();
            }
        }
        owned.clear();
    }
}
