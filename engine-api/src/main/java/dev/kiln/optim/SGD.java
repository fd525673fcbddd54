package dev.kiln.optim;

import dev.kiln.Functional;
import dev.kiln.KilnException;
import dev.kiln.SgdParams;
import dev.kiln.Tensor;
import java.util.List;

/** {@code torch.optim.SGD}: weight decay, momentum with dampening, Nesterov; each update runs the backend's {@code sgdStep}. */
public final class SGD extends Optimizer {
    private final double momentum, dampening, weightDecay;
    private final boolean nesterov;

    public SGD(List<Tensor> params, double lr) { this(params, lr, 0, 0, 0, false); }

    public SGD(List<Tensor> params, double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        super("SGD", params, lr);
        if (!(momentum >= 0) || !(weightDecay >= 0)) throw new KilnException("SGD: momentum and weight decay must be >= 0, got " + momentum + ", " + weightDecay);
        new SgdParams(lr, momentum, dampening, weightDecay, nesterov);  // validates the Nesterov conditions
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    @Override
    protected void update(int i, Tensor param, Tensor grad, long step) {
        Tensor buf = momentum != 0 ? buffer(i, "momentum_buffer") : null;
        Functional.sgdStep(param, grad, buf, step, new SgdParams(lr(), momentum, dampening, weightDecay, nesterov));
    }
}
