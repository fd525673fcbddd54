package dev.kiln.autograd;

import dev.kiln.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * One recorded operation of the autograd graph: it turns the gradients of its outputs into the
 * gradients of its inputs. It holds what its backward needs as {@linkplain #save saved} tensors,
 * which share storage with the forward tensors but belong to no Scope, so user code may close the
 * forward tensors; they are released as soon as the node has run, or when nothing can reach it any more.
 *
 * <p>Lifetime: a node is referenced by the tensors it produced and by the nodes of later operations
 * that consumed them. When the last reference goes (tensors closed or collected), it frees its saved
 * tensors and drops its own references, so an abandoned graph frees itself from the root down.
 */
public abstract class Node {
    private final String name;
    private final int outputs;
    private final List<Tensor> saved = new ArrayList<>();
    private Node[] next = new Node[0];
    private int[] nextSlot = new int[0];
    private int refs;
    private boolean freed;

    protected Node(String name, int outputs) {
        this.name = name;
        this.outputs = outputs;
    }

    /** The operation, as error messages name it. */
    public final String name() { return name; }

    /** How many differentiable outputs the operation has. */
    public final int outputs() { return outputs; }

    /**
     * The gradients of the inputs (one per input, null where none flows), given the gradient of each
     * output (null where none flowed, i.e. zero). Runs with grad mode off; returns new tensors, which
     * the engine owns; must not close the given gradients.
     */
    public abstract Tensor[] apply(Tensor[] gradOutputs);

    /** Keeps {@code t}'s storage alive for the backward pass; returns the saved handle to read it through. */
    protected final Tensor save(Tensor t) {
        if (t == null) return null;
        Tensor alias = t.retainStorage();
        synchronized (this) { saved.add(alias); }
        return alias;
    }

    /** Leaf accumulators stay usable after a backward pass; every other node runs once. */
    protected boolean reusable() { return false; }

    // ---- for the engine ----

    /** Connects the inputs: input i comes from output {@code slots[i]} of {@code nodes[i]} (null: needs no gradient). */
    public final synchronized void connect(Node[] nodes, int[] slots) {
        next = nodes.clone();
        nextSlot = slots.clone();
        for (Node n : next) if (n != null) n.retain();
    }

    public final synchronized int inputs() { return next.length; }

    public final synchronized Node next(int i) { return next[i]; }

    public final synchronized int nextSlot(int i) { return nextSlot[i]; }

    public final synchronized boolean isFreed() { return freed; }

    public final synchronized void retain() { if (!freed) refs++; }

    /** Drops one reference; the last one frees the node and, in turn, its references to earlier nodes. */
    public final void release() {
        Node[] drop;
        synchronized (this) {
            if (freed || --refs > 0 || reusable()) return;
            drop = freeLocked();
        }
        for (Node n : drop) if (n != null) n.release();
    }

    /** After backward ran through it: frees saved tensors; earlier nodes are handled by the same pass. */
    public final synchronized void consumed() {
        if (!reusable()) freeLocked();
    }

    private Node[] freeLocked() {
        freed = true;
        saved.forEach(Tensor::close);
        saved.clear();
        Node[] drop = next;
        next = new Node[0];
        nextSlot = new int[0];
        return drop;
    }

    @Override
    public String toString() { return name + "Backward"; }
}
