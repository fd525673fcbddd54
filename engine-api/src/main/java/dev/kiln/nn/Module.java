package dev.kiln.nn;

import dev.kiln.Device;
import dev.kiln.KilnException;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.io.SafeTensors;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A layer or a model: named parameters, named buffers (running statistics) and named children,
 * addressed by the dotted names PyTorch's {@code state_dict} uses ({@code features.0.weight}), so
 * weights saved from PyTorch load as they are.
 *
 * <p>{@link #forward} never changes the module in evaluation mode, so one module may serve many
 * threads at once. New modules start in training mode, as in PyTorch; call {@link #eval()} for inference.
 * A module owns its tensors: {@link #close()} frees them.
 */
public abstract class Module implements AutoCloseable {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Runs the module on one input. */
    public abstract Tensor forward(Tensor x);

    protected final Tensor parameter(String name, Tensor value) {
        if (value.isClosed()) throw new KilnException(getClass().getSimpleName() + ": parameter '" + name + "' is closed");
        // parameters are what training updates: leaves that collect gradients (a tied or derived tensor is left as it is)
        if (value.gradFn() == null && value.dtype().isFloating() && !value.requiresGrad()) value.requiresGrad(true);
        Tensor old = parameters.put(name, value);
        if (old != null && old != value) old.close();
        return value;
    }

    /** Makes own parameter {@code name} the very tensor another module holds (weight tying); both names stay in the state dict. */
    public final void tie(String name, Tensor shared) {
        Tensor mine = parameters.get(name);
        if (mine == null) throw new KilnException(getClass().getSimpleName() + ": no parameter '" + name + "' to tie");
        if (!mine.shape().equals(shared.shape())) {
            throw new dev.kiln.ShapeException(getClass().getSimpleName() + ": cannot tie '" + name + "' " + mine.shape() + " to " + shared.shape());
        }
        parameter(name, shared);
    }

    protected final Tensor buffer(String name, Tensor value) {
        Tensor old = buffers.put(name, value);
        if (old != null && old != value) old.close();
        return value;
    }

    protected final <M extends Module> M child(String name, M module) {
        children.put(name, module);
        return module;
    }

    /** The current value of an own parameter or buffer (values are replaced when weights load). */
    protected final Tensor tensor(String name) {
        Tensor t = parameters.get(name);
        if (t == null) t = buffers.get(name);
        if (t == null) throw new KilnException(getClass().getSimpleName() + ": no parameter or buffer '" + name + "'");
        return t;
    }

    protected final boolean has(String name) { return parameters.containsKey(name) || buffers.containsKey(name); }

    public final boolean isTraining() { return training; }

    /** Sets training mode here and in every child (dropout active, batch norm on batch statistics). */
    public Module train(boolean on) {
        training = on;
        children.values().forEach(c -> c.train(on));
        return this;
    }

    public Module eval() { return train(false); }

    /** Children in registration order (the order state-dict names and seeded re-initialization follow). */
    public final Map<String, Module> children() { return java.util.Collections.unmodifiableMap(children); }

    /** Every parameter, by dotted name, in registration order. */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, false);
        return out;
    }

    /** Parameters and buffers by dotted name: what PyTorch's {@code state_dict()} holds. */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true);
        return out;
    }

    private void collect(String prefix, Map<String, Tensor> out, boolean withBuffers) {
        parameters.forEach((k, v) -> out.put(prefix + k, v));
        if (withBuffers) buffers.forEach((k, v) -> out.put(prefix + k, v));
        children.forEach((k, c) -> c.collect(prefix + k + ".", out, withBuffers));
    }

    /** Every parameter in registration order (a tied tensor once), as {@code torch.nn.Module.parameters()}. */
    public final List<Tensor> parameters() {
        java.util.Set<Tensor> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : namedParameters().values()) if (seen.add(t)) out.add(t);
        return out;
    }

    /** Frees and clears the gradient of every parameter. */
    public final void zeroGrad() { parameters().forEach(Tensor::zeroGrad); }

    public final long parameterCount() {
        long n = 0;
        for (Tensor t : namedParameters().values()) n += t.numel();
        return n;
    }

    /**
     * Replaces every parameter and buffer with the tensor of the same name, converted to this
     * module's device and dtype. Checks everything before changing anything: a missing or unexpected
     * key, or a shape that does not fit, fails with all the names listed and leaves the module as it was.
     */
    public final void loadStateDict(Map<String, Tensor> source, String origin) {
        Map<String, Tensor> mine = stateDict();
        Set<String> missing = new TreeSet<>(mine.keySet());
        missing.removeAll(source.keySet());
        Set<String> unexpected = new TreeSet<>(source.keySet());
        unexpected.removeAll(mine.keySet());
        List<String> problems = new ArrayList<>();
        if (!missing.isEmpty()) problems.add("missing keys " + missing);
        if (!unexpected.isEmpty()) problems.add("unexpected keys " + unexpected);
        for (var e : mine.entrySet()) {
            Tensor s = source.get(e.getKey());
            if (s != null && !s.shape().equals(e.getValue().shape())) {
                problems.add("'" + e.getKey() + "' has shape " + s.shape() + ", the model expects " + e.getValue().shape());
            }
        }
        if (!problems.isEmpty()) {
            throw new ShapeException(origin + " does not fit " + getClass().getSimpleName() + ": " + String.join("; ", problems));
        }
        try (var noGrad = dev.kiln.autograd.Autograd.noGrad()) {
            copyInto(mine, source);
        }
    }

    private static void copyInto(Map<String, Tensor> mine, Map<String, Tensor> source) {
        for (var e : mine.entrySet()) {
            Tensor dst = e.getValue();
            Tensor src = source.get(e.getKey());
            if (src.device() == dst.device() && src.dtype() == dst.dtype()) {
                dst.assign(src);
            } else {
                try (Tensor moved = src.device() == dst.device() ? src.copy() : src.to(dst.device());
                     Tensor cast = moved.dtype() == dst.dtype() ? moved.copy() : moved.to(dst.dtype())) {
                    dst.assign(cast);
                }
            }
        }
    }

    /** Loads every parameter and buffer from a safetensors file (see {@link #loadStateDict}). */
    public final void load(SafeTensors file) {
        Device device = stateDict().values().stream().findFirst().map(Tensor::device)
                .orElseThrow(() -> new KilnException(getClass().getSimpleName() + " has no parameters to load"));
        Map<String, Tensor> loaded = new LinkedHashMap<>();
        try {
            for (String name : file.names()) loaded.put(name, file.load(name, device));
            loadStateDict(loaded, file.file().toString());
        } finally {
            loaded.values().forEach(Tensor::close);
        }
    }

    /** Saves parameters and buffers under their state_dict names. */
    public final void save(java.nio.file.Path file) {
        SafeTensors.save(file, stateDict(), Map.of("format", "pt", "producer", "kiln"));
    }

    @Override
    public void close() {
        parameters.values().forEach(Tensor::close);
        buffers.values().forEach(Tensor::close);
        children.values().forEach(Module::close);
    }
}
