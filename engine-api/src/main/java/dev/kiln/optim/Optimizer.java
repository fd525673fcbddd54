package dev.kiln.optim;

import dev.kiln.KilnException;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.autograd.Autograd;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Updates parameters from their accumulated gradients, as {@code torch.optim}: one parameter group,
 * parameters whose gradient is null are skipped. The learning rate is mutable so that schedules can
 * drive it. State (moment buffers, per-parameter step counts) lives on the parameters' device and is
 * freed by {@link #close()}.
 */
public abstract class Optimizer implements AutoCloseable {
    private final List<Tensor> params;
    private final long[] steps;
    private final List<Map<String, Tensor>> state = new ArrayList<>();
    private double lr;

    protected Optimizer(String name, List<Tensor> params, double lr) {
        if (params.isEmpty()) throw new KilnException(name + ": no parameters to optimize");
        if (!(lr >= 0)) throw new KilnException(name + ": learning rate must be >= 0, got " + lr);
        for (Tensor p : params) {
            if (!p.requiresGrad() || p.gradFn() != null) {
                throw new KilnException(name + ": parameter " + p.dtype() + " " + p.shape() + " must be a leaf that requires grad");
            }
        }
        this.params = List.copyOf(params);
        this.steps = new long[params.size()];
        for (int i = 0; i < params.size(); i++) state.add(new LinkedHashMap<>());
        this.lr = lr;
    }

    public final List<Tensor> params() { return params; }

    public final double lr() { return lr; }

    public final void setLr(double lr) {
        if (!(lr >= 0)) throw new KilnException("optimizer: learning rate must be >= 0, got " + lr);
        this.lr = lr;
    }

    /** Steps taken by parameter i (Adam's bias correction counts them). */
    public final long step(int i) { return steps[i]; }

    /** One update of every parameter that has a gradient; records nothing in the autograd graph. */
    public final void step() {
        try (var g = Autograd.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i), grad = p.grad();
                if (grad == null) continue;
                steps[i]++;
                update(i, p, grad, steps[i]);
            }
        }
    }

    /** Updates parameter {@code i} in place; {@code step} counts from 1. */
    protected abstract void update(int i, Tensor param, Tensor grad, long step);

    /** A state buffer of parameter i (zeros of its shape at first use), under its PyTorch name. */
    protected final Tensor buffer(int i, String name) {
        return state.get(i).computeIfAbsent(name, k -> {
            Tensor p = params.get(i);
            // the optimizer owns its state: a handle no Scope (the caller's, or an update's own) will close
            try (Tensor zeros = p.device().zeros(p.dtype(), p.shape().dims())) {
                return zeros.retainStorage();
            }
        });
    }

    /** Frees every gradient. */
    public final void zeroGrad() { params.forEach(Tensor::zeroGrad); }

    /**
     * The optimizer's state under flattened {@code torch.optim} names: {@code state.<i>.step},
     * {@code state.<i>.<buffer>} (momentum_buffer, exp_avg, exp_avg_sq, square_avg, grad_avg) and
     * {@code param_groups.0.lr}. The tensors are copies owned by the caller.
     */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (var g = Autograd.noGrad()) {
            var device = params.get(0).device();
            for (int i = 0; i < params.size(); i++) {
                if (steps[i] == 0) continue;
                out.put("state." + i + ".step", device.full((double) steps[i]));
                for (var e : state.get(i).entrySet()) out.put("state." + i + "." + e.getKey(), e.getValue().copy());
            }
            out.put("param_groups.0.lr", device.full(lr));
        }
        return out;
    }

    /** Restores what {@link #stateDict()} saved (values are copied in); the caller keeps ownership of {@code source}. */
    public final void loadStateDict(Map<String, Tensor> source) {
        try (var g = Autograd.noGrad()) {
            for (String key : source.keySet()) {
                if (!key.equals("param_groups.0.lr") && !key.matches("state\\.\\d+\\.\\w+")) {
                    throw new KilnException("optimizer loadStateDict: unexpected key '" + key + "'");
                }
            }
            Tensor lrT = source.get("param_groups.0.lr");
            if (lrT != null) setLr(lrT.item());
            for (int i = 0; i < params.size(); i++) {
                Tensor s = source.get("state." + i + ".step");
                steps[i] = s == null ? 0 : (long) s.item();
                for (var e : source.entrySet()) {
                    String prefix = "state." + i + ".";
                    if (!e.getKey().startsWith(prefix) || e.getKey().equals(prefix + "step")) continue;
                    Tensor dst = buffer(i, e.getKey().substring(prefix.length()));
                    if (!dst.shape().equals(e.getValue().shape())) {
                        throw new ShapeException("optimizer loadStateDict: '" + e.getKey() + "' has shape " + e.getValue().shape()
                                + ", parameter " + i + " has " + dst.shape());
                    }
                    dst.assign(e.getValue());
                }
            }
        }
    }

    /** Frees the optimizer's state (not the parameters). */
    @Override
    public void close() {
        for (Map<String, Tensor> m : state) {
            m.values().forEach(Tensor::close);
            m.clear();
        }
    }
}
