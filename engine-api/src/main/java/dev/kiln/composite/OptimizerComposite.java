package dev.kiln.composite;

import dev.kiln.AdamParams;
import dev.kiln.Kiln;
import dev.kiln.Scope;
import dev.kiln.SgdParams;
import dev.kiln.Tensor;

/** Optimizer updates in place, step by step as {@code torch.optim.SGD}, {@code Adam} and {@code AdamW} (steps count from 1). */
public final class OptimizerComposite {
    private OptimizerComposite() {}

    /**
     * {@code d = grad + wd * param}; with momentum, {@code buf = d} on the first step, else
     * {@code buf = momentum * buf + (1 - dampening) * d}, and d becomes buf (or {@code d + momentum * buf}
     * with Nesterov); then {@code param -= lr * d}.
     */
    public static void sgd(Tensor param, Tensor grad, Tensor momentumBuffer, long step, SgdParams p) {
        try (Scope s = Kiln.scope()) {
            Tensor d = p.weightDecay() == 0 ? grad : grad.add(param.mul(p.weightDecay()));
            if (p.momentum() != 0) {
                Tensor buf = step <= 1 ? d : momentumBuffer.mul(p.momentum()).add(d.mul(1 - p.dampening()));
                momentumBuffer.assign(buf);
                d = p.nesterov() ? d.add(momentumBuffer.mul(p.momentum())) : momentumBuffer;
            }
            param.assign(param.sub(d.mul(p.lr())));
        }
    }

    /**
     * Adam adds {@code wd * param} to the gradient (L2); AdamW instead scales param by {@code 1 - lr * wd}
     * first (decoupled). Then {@code m = b1 m + (1 - b1) g}, {@code v = b2 v + (1 - b2) g^2},
     * {@code param -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)}.
     */
    public static void adam(Tensor param, Tensor grad, Tensor m, Tensor v, long step, AdamParams p) {
        try (Scope s = Kiln.scope()) {
            Tensor g = grad;
            if (p.weightDecay() != 0) {
                if (p.decoupled()) param.assign(param.mul(1 - p.lr() * p.weightDecay()));
                else g = grad.add(param.mul(p.weightDecay()));
            }
            m.assign(m.mul(p.beta1()).add(g.mul(1 - p.beta1())));
            v.assign(v.mul(p.beta2()).add(g.square().mul(1 - p.beta2())));
            double biasCorrection1 = 1 - Math.pow(p.beta1(), step);
            double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(p.beta2(), step));
            Tensor denom = v.sqrt().div(biasCorrection2Sqrt).add(p.eps());
            param.assign(param.sub(m.div(denom).mul(p.lr() / biasCorrection1)));
        }
    }
}
