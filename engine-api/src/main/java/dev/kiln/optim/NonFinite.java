package dev.kiln.optim;

import dev.kiln.Tensor;
import dev.kiln.autograd.Autograd;
import java.util.Map;
import java.util.Optional;

/** Finds NaN or infinite values, so that training can stop naming the parameter whose gradient went bad. */
public final class NonFinite {
    private NonFinite() {}

    /** True when every element of {@code t} is finite. */
    public static boolean isFinite(Tensor t) {
        try (var g = Autograd.noGrad(); Tensor zero = t.sub(t); Tensor s = zero.sum()) {
            return s.item() == 0;   // x - x is 0 for finite x and NaN for NaN or infinity
        }
    }

    /** The first name (in map order) whose tensor's gradient holds a NaN or an infinity; parameters without a gradient pass. */
    public static Optional<String> firstBadGradient(Map<String, Tensor> namedParameters) {
        for (var e : namedParameters.entrySet()) {
            Tensor grad = e.getValue().grad();
            if (grad != null && !isFinite(grad)) return Optional.of(e.getKey());
        }
        return Optional.empty();
    }
}
