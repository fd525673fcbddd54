package dev.kiln.models;

import dev.kiln.Conv2dParams;
import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Pool2dParams;
import dev.kiln.Tensor;
import dev.kiln.nn.AvgPool2d;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.Tanh;

/**
 * LeNet-5 (LeCun, Bottou, Bengio and Haffner, "Gradient-based learning applied to document
 * recognition", Proc. IEEE 1998) as courses teach it: a 1x32x32 input, two 5x5 convolutions with tanh
 * and 2x2 average pooling (6 and 16 maps), then fully connected layers of 120, 84 and 10 units.
 * Parameters: features.{0,3}.*, classifier.{1,3,5}.* (61,706 in all).
 */
public final class LeNet5 extends Module {
    private final Sequential features, classifier;

    private LeNet5(Builder b) {
        Device d = b.device;
        Generator g = new Generator(b.seed);
        features = child("features", new Sequential(
                new Conv2d(d, g, b.inChannels, 6, 5, Conv2dParams.of(1, 0), true), new Tanh(), new AvgPool2d(Pool2dParams.of(2, 2, 0)),
                new Conv2d(d, g, 6, 16, 5, Conv2dParams.of(1, 0), true), new Tanh(), new AvgPool2d(Pool2dParams.of(2, 2, 0))));
        classifier = child("classifier", new Sequential(
                new Flatten(), new Linear(d, g, 16 * 5 * 5, 120, true), new Tanh(), new Linear(d, g, 120, 84, true), new Tanh(),
                new Linear(d, g, 84, b.numClasses, true)));
    }

    public static Builder builder(Device device) { return new Builder(device); }

    /** x [N, 1, 32, 32] gives logits [N, 10]. */
    @Override
    public Tensor forward(Tensor x) {
        Models.expectImage("LeNet5", x, 1, 32, 32);
        try (Tensor f = features.forward(x)) {
            return classifier.forward(f);
        }
    }

    public static final class Builder {
        private final Device device;
        private int inChannels = 1, numClasses = 10;
        private long seed = 0;

        private Builder(Device device) { this.device = device; }

        public Builder numClasses(int n) { numClasses = n; return this; }

        public Builder inChannels(int c) { inChannels = c; return this; }

        /** Seed of the initial weights. */
        public Builder seed(long s) { seed = s; return this; }

        public LeNet5 build() { return new LeNet5(this); }
    }
}
