package dev.kiln;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.AutogradException;
import dev.kiln.autograd.Node;
import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/** Recording of operations into the autograd graph, and the backward pass over it. */
final class Graph {
    private Graph() {}

    /** Backstop for graphs whose root tensor is dropped without being closed. */
    static final Cleaner CLEANER = Cleaner.create();

    /** True when grad mode is on and some input requires grad. */
    static boolean needs(Tensor... inputs) {
        if (!Autograd.isEnabled()) return false;
        for (Tensor t : inputs) if (t != null && t.requiresGrad()) return true;
        return false;
    }

    /** The backward of a one-output op: input gradients from the output gradient and the saved tensors. */
    interface Rule {
        /** {@code needs[i]} says whether input i wants a gradient (skip costly ones it does not). */
        Tensor[] apply(Tensor grad, Tensor[] saved, boolean[] needs);
    }

    /** A one-output node whose rule reads the handles {@link Node#save} returned for {@code toSave}. */
    static Node node(String name, Rule rule, Tensor... toSave) {
        return new Node(name, 1) {
            private final Tensor[] saved = keep(toSave);

            private Tensor[] keep(Tensor[] ts) {
                Tensor[] out = new Tensor[ts.length];
                for (int i = 0; i < ts.length; i++) out[i] = save(ts[i]);
                return out;
            }

            @Override
            public Tensor[] apply(Tensor[] gradOutputs) { return rule.apply(gradOutputs[0], saved, wanted(this)); }
        };
    }

    /** Which inputs of {@code n} lead to a node that wants their gradient. */
    static boolean[] wanted(Node n) {
        boolean[] out = new boolean[n.inputs()];
        for (int i = 0; i < out.length; i++) out[i] = n.next(i) != null;
        return out;
    }

    /**
     * Runs {@code forward} (with recording off inside it) and, when an input requires grad, records the
     * node {@code rule} makes from the result. The node's inputs are {@code inputs}, in order.
     */
    static Tensor op(Tensor[] inputs, Supplier<Tensor> forward, Function<Tensor, Node> rule) {
        if (!needs(inputs)) return forward.get();
        Tensor r;
        try (var g = Autograd.noGrad()) {
            r = forward.get();
        }
        if (!r.dtype().isFloating()) return r;
        record(rule.apply(r), new Tensor[] {r}, inputs);
        return r;
    }

    /** Connects {@code node} to the inputs' nodes and makes it the grad function of each output. */
    static void record(Node node, Tensor[] outputs, Tensor... inputs) {
        Node[] nodes = new Node[inputs.length];
        int[] slots = new int[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            Tensor in = inputs[i];
            if (in == null || !in.requiresGrad()) continue;
            if (in.gradFn() != null) {
                nodes[i] = in.gradFn();
                slots[i] = in.gradSlot();
            } else {
                nodes[i] = in.accumulator();
            }
        }
        node.connect(nodes, slots);
        for (int i = 0; i < outputs.length; i++) if (outputs[i] != null) outputs[i].attach(node, i);
    }

    // ---- backward ----

    static void backward(Tensor root, Tensor gradient) {
        if (!root.requiresGrad()) {
            throw new AutogradException("backward: tensor " + root.dtype() + " " + root.shape()
                    + " does not require grad (no input of the ops that made it requires grad, or it was made under noGrad)");
        }
        if (gradient == null && root.numel() != 1) {
            throw new AutogradException("backward: implicit gradient needs a one-element tensor, got " + root.shape()
                    + "; pass backward(gradient) with a gradient of that shape");
        }
        if (gradient != null && (!gradient.shape().equals(root.shape()) || gradient.dtype() != root.dtype())) {
            throw new AutogradException("backward: gradient " + gradient.dtype() + " " + gradient.shape() + " does not match tensor "
                    + root.dtype() + " " + root.shape());
        }
        Node start = root.gradFn() != null ? root.gradFn() : root.accumulator();
        int startSlot = root.gradFn() != null ? root.gradSlot() : 0;
        if (start.isFreed()) throw freed(start);
        Map<Node, Integer> deps = dependencies(start);
        try (var g = Autograd.noGrad(); Scope temporaries = new Scope()) {
            Map<Node, Tensor[]> pending = new IdentityHashMap<>();
            Tensor[] first = new Tensor[start.outputs()];
            first[startSlot] = gradient == null ? root.device().full(root.dtype(), 1, root.shape().dims()) : gradient.retainStorage();
            pending.put(start, first);
            ArrayDeque<Node> ready = new ArrayDeque<>();
            ready.add(start);
            while (!ready.isEmpty()) {
                Node n = ready.poll();
                Tensor[] grads = pending.remove(n);
                run(n, grads, pending, deps, ready);
            }
        }
    }

    private static void run(Node n, Tensor[] grads, Map<Node, Tensor[]> pending, Map<Node, Integer> deps, ArrayDeque<Node> ready) {
        int inputs = n.inputs();
        Node[] next = new Node[inputs];
        int[] slots = new int[inputs];
        for (int i = 0; i < inputs; i++) {
            next[i] = n.next(i);
            slots[i] = n.nextSlot(i);
        }
        Tensor[] in = null;
        boolean any = false;
        for (Tensor t : grads) any |= t != null;
        try (Scope own = new Scope()) {
            // each node's temporaries are freed as soon as it has run; only its input gradients survive
            if (any) in = n.apply(grads);
            if (in != null) {
                for (int i = 0; i < in.length; i++) {
                    if (in[i] == null) continue;
                    // a rule may pass a gradient through unchanged, or hand one tensor to several inputs: each gets its own handle
                    if (sameAsAny(in[i], grads, grads.length) || sameAsAny(in[i], in, i)) in[i] = in[i].retainStorage();
                    else own.keep(in[i]);
                }
            }
        } finally {
            for (Tensor t : grads) if (t != null) t.close();
        }
        n.consumed();
        for (int i = 0; i < inputs; i++) {
            Tensor gi = in == null || i >= in.length ? null : in[i];
            if (next[i] == null) {
                if (gi != null) gi.close();
                continue;
            }
            if (gi != null) {
                Tensor[] slot = pending.computeIfAbsent(next[i], k -> new Tensor[k.outputs()]);
                Tensor prev = slot[slots[i]];
                if (prev == null) {
                    slot[slots[i]] = gi;
                } else {
                    slot[slots[i]] = prev.add(gi);
                    prev.close();
                    gi.close();
                }
            }
            int left = deps.merge(next[i], -1, Integer::sum);
            if (left == 0) {
                pending.putIfAbsent(next[i], new Tensor[next[i].outputs()]);
                ready.add(next[i]);
            }
        }
    }

    private static boolean sameAsAny(Tensor t, Tensor[] ts, int upTo) {
        for (int j = 0; j < upTo; j++) if (ts[j] == t) return true;
        return false;
    }

    /** How many edges of the graph reachable from {@code start} lead into each node. */
    private static Map<Node, Integer> dependencies(Node start) {
        Map<Node, Integer> deps = new IdentityHashMap<>();
        deps.put(start, 0);
        List<Node> stack = new ArrayList<>(List.of(start));
        while (!stack.isEmpty()) {
            Node n = stack.removeLast();
            for (int i = 0; i < n.inputs(); i++) {
                Node m = n.next(i);
                if (m == null) continue;
                if (m.isFreed()) throw freed(m);
                Integer before = deps.put(m, deps.getOrDefault(m, 0) + 1);
                if (before == null) stack.add(m);
            }
        }
        return deps;
    }

    private static AutogradException freed(Node n) {
        return new AutogradException("backward: the graph through " + n.name() + " was already freed (a backward pass ran through it"
                + " before, or every tensor that led to it was closed); compute the forward again");
    }

    /** Sums a broadcast gradient back to {@code target} (the shape of the input that was broadcast). */
    static Tensor sumTo(Tensor g, Shape target) {
        if (g.shape().equals(target)) return g;
        int extra = g.rank() - target.rank();
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < g.rank(); i++) {
            if (i < extra || (target.dim(i - extra) == 1 && g.dim(i) != 1)) axes.add(i);
        }
        try (Tensor s = g.sum(axes.stream().mapToInt(Integer::intValue).toArray(), true)) {
            return s.reshape(target.dims());
        }
    }

    /** The leaf's accumulator: adds incoming gradients into the leaf's {@code grad}. */
    static final class Accumulate extends Node {
        private final Tensor leaf;

        Accumulate(Tensor leaf) {
            super("accumulateGrad", 1);
            this.leaf = leaf;
        }

        @Override protected boolean reusable() { return true; }

        @Override
        public Tensor[] apply(Tensor[] gradOutputs) {
            Tensor g = gradOutputs[0];
            if (g != null && !leaf.isClosed()) leaf.accumulateGrad(g);
            return new Tensor[0];
        }
    }
}
