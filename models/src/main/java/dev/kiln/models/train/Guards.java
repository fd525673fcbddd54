package dev.kiln.models.train;

import dev.kiln.Tensor;
import dev.kiln.autograd.Autograd;
import java.util.Map;

/** Stops training at the first non-finite loss or gradient, naming the step and the parameter. */
final class Guards {
    private Guards() {}

    static void checkLoss(long step, double loss) {
        if (!Double.isFinite(loss)) {
            throw new NonFiniteException(step, null, "training stopped at step " + step + ": the loss is " + loss);
        }
    }

    /** After backward: the first parameter, in registration order, whose gradient holds a NaN or an infinity. */
    static void checkGradients(long step, Map<String, Tensor> parameters) {
        Map<String, Tensor> grads = new java.util.LinkedHashMap<>();
        parameters.forEach((name, p) -> {
            Tensor g = p.grad();
            if (g != null) grads.put(name, g);
        });
        String bad = firstNonFinite(grads);
        if (bad != null) {
            throw new NonFiniteException(step, bad, "training stopped at step " + step + ": the gradient of parameter '" + bad
                    + "' is not finite (NaN or infinite)");
        }
    }

    /** The name of the first tensor, in map order, that is not finite everywhere, or null. */
    static String firstNonFinite(Map<String, Tensor> tensors) {
        try (var off = Autograd.noGrad()) {
            for (var e : tensors.entrySet()) if (!allFinite(e.getValue())) return e.getKey();
        }
        return null;
    }

    /** x - x is 0 for finite x and NaN for NaN and the infinities, so the sum is NaN exactly when some x is not finite. */
    static boolean allFinite(Tensor t) {
        try (Tensor d = t.sub(t); Tensor s = d.sum()) {
            return !Double.isNaN(s.item());
        }
    }
}
