package dev.kiln.optim;

import dev.kiln.AdamParams;
import dev.kiln.Functional;
import dev.kiln.KilnException;
import dev.kiln.Tensor;
import java.util.List;

/** {@code torch.optim.Adam} (weight decay added to the gradient); each update runs the backend's {@code adamStep}. */
public class Adam extends Optimizer {
    private final double beta1, beta2, eps, weightDecay;
    private final boolean decoupled;

    public Adam(List<Tensor> params, double lr) { this(params, lr, 0.9, 0.999, 1e-8, 0); }

    public Adam(List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this("Adam", params, lr, beta1, beta2, eps, weightDecay, false);
    }

    Adam(String name, List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
        super(name, params, lr);
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new KilnException(name + ": betas must be in [0, 1), got " + beta1 + ", " + beta2);
        if (!(eps >= 0) || !(weightDecay >= 0)) throw new KilnException(name + ": eps and weight decay must be >= 0, got " + eps + ", " + weightDecay);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
    }

    @Override
    protected final void update(int i, Tensor param, Tensor grad, long step) {
        Functional.adamStep(param, grad, buffer(i, "exp_avg"), buffer(i, "exp_avg_sq"), step,
                new AdamParams(lr(), beta1, beta2, eps, weightDecay, decoupled));
    }
}
