package dev.kiln.optim;

import dev.kiln.Kiln;
import dev.kiln.KilnException;
import dev.kiln.Scope;
import dev.kiln.Tensor;
import java.util.List;

/**
 * {@code torch.optim.RMSprop}: {@code g += wd * p}; {@code sq = alpha sq + (1 - alpha) g^2}; centered also keeps
 * {@code ga = alpha ga + (1 - alpha) g} and uses {@code sq - ga^2}; {@code avg = sqrt(.) + eps}; with momentum
 * {@code buf = m buf + g / avg} and {@code p -= lr buf}, else {@code p -= lr g / avg}.
 */
public final class RMSProp extends Optimizer {
    private final double alpha, eps, weightDecay, momentum;
    private final boolean centered;

    public RMSProp(List<Tensor> params, double lr) { this(params, lr, 0.99, 1e-8, 0, 0, false); }

    public RMSProp(List<Tensor> params, double lr, double alpha, double eps, double weightDecay, double momentum, boolean centered) {
        super("RMSProp", params, lr);
        if (!(alpha >= 0) || !(eps >= 0) || !(weightDecay >= 0) || !(momentum >= 0)) {
            throw new KilnException("RMSProp: alpha, eps, weight decay and momentum must be >= 0, got " + alpha + ", " + eps + ", " + weightDecay + ", " + momentum);
        }
        this.alpha = alpha;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.momentum = momentum;
        this.centered = centered;
    }

    @Override
    protected void update(int i, Tensor param, Tensor grad, long step) {
        try (Scope s = Kiln.scope()) {
            Tensor g = weightDecay == 0 ? grad : grad.add(param.mul(weightDecay));
            Tensor sq = buffer(i, "square_avg");
            sq.assign(sq.mul(alpha).add(g.square().mul(1 - alpha)));
            Tensor variance = sq;
            if (centered) {
                Tensor ga = buffer(i, "grad_avg");
                ga.assign(ga.mul(alpha).add(g.mul(1 - alpha)));
                variance = sq.sub(ga.square());
            }
            Tensor avg = variance.sqrt().add(eps);
            if (momentum > 0) {
                Tensor buf = buffer(i, "momentum_buffer");
                buf.assign(buf.mul(momentum).add(g.div(avg)));
                param.assign(param.sub(buf.mul(lr())));
            } else {
                param.assign(param.sub(g.div(avg).mul(lr())));
            }
        }
    }
}
