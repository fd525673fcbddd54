package dev.kiln;

/** {@code torch.optim.SGD}'s hyper-parameters. */
public record SgdParams(double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
    public SgdParams {
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new KilnException("sgd: Nesterov momentum needs momentum > 0 and dampening 0, got " + momentum + ", " + dampening);
        }
    }
}
