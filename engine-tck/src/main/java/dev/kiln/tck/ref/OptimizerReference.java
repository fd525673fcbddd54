package dev.kiln.tck.ref;

/**
 * The update rules of {@code torch.optim.SGD}, {@code Adam} and {@code AdamW} (single tensor, no
 * amsgrad, no maximize), in float64, written out from PyTorch's documented algorithms.
 */
public final class OptimizerReference {
    private OptimizerReference() {}

    /** One SGD step in place on param and buf (buf ignored when momentum is 0); step counts from 1. */
    public static void sgd(double[] param, double[] grad, double[] buf, int step, double lr, double momentum, double dampening,
                           double weightDecay, boolean nesterov) {
        for (int i = 0; i < param.length; i++) {
            double d = grad[i] + weightDecay * param[i];
            if (momentum != 0) {
                buf[i] = step == 1 ? d : momentum * buf[i] + (1 - dampening) * d;
                d = nesterov ? d + momentum * buf[i] : buf[i];
            }
            param[i] -= lr * d;
        }
    }

    /** One Adam (L2 decay) or AdamW (decoupled decay) step in place on param, m and v; step counts from 1. */
    public static void adam(double[] param, double[] grad, double[] m, double[] v, int step, double lr, double beta1, double beta2,
                            double eps, double weightDecay, boolean decoupled) {
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        for (int i = 0; i < param.length; i++) {
            double g = grad[i];
            if (decoupled) param[i] *= 1 - lr * weightDecay;
            else g += weightDecay * param[i];
            m[i] = beta1 * m[i] + (1 - beta1) * g;
            v[i] = beta2 * v[i] + (1 - beta2) * g * g;
            double mHat = m[i] / bc1, vHat = v[i] / bc2;
            param[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
        }
    }

    /** One {@code torch.optim.RMSprop} step in place on param, squareAvg, gradAvg (centered) and buf (momentum). */
    public static void rmsprop(double[] param, double[] grad, double[] squareAvg, double[] gradAvg, double[] buf, double lr, double alpha,
                               double eps, double weightDecay, double momentum, boolean centered) {
        for (int i = 0; i < param.length; i++) {
            double g = grad[i] + weightDecay * param[i];
            squareAvg[i] = alpha * squareAvg[i] + (1 - alpha) * g * g;
            double variance = squareAvg[i];
            if (centered) {
                gradAvg[i] = alpha * gradAvg[i] + (1 - alpha) * g;
                variance -= gradAvg[i] * gradAvg[i];
            }
            double avg = Math.sqrt(variance) + eps;
            if (momentum > 0) {
                buf[i] = momentum * buf[i] + g / avg;
                param[i] -= lr * buf[i];
            } else {
                param[i] -= lr * g / avg;
            }
        }
    }
}
