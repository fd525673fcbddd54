package dev.kiln.models;

import dev.kiln.Conv2dParams;
import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Pool2dParams;
import dev.kiln.Tensor;
import dev.kiln.nn.AdaptiveAvgPool2d;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Linear;
import dev.kiln.nn.MaxPool2d;
import dev.kiln.nn.Module;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;

/**
 * AlexNet (Krizhevsky, Sutskever and Hinton, "ImageNet Classification with Deep Convolutional Neural
 * Networks", NeurIPS 2012) as torchvision builds it ("One weird trick" channel counts, no LRN):
 * 61,100,840 parameters for 1000 classes, input 3x224x224.
 */
public final class AlexNet extends Module {
    private final Sequential features, classifier;
    private final AdaptiveAvgPool2d avgpool;

    private AlexNet(Builder b) {
        Device d = b.device;
        Generator g = new Generator(b.seed);
        Pool2dParams pool = Pool2dParams.of(3, 2, 0);
        features = child("features", new Sequential(
                new Conv2d(d, g, 3, 64, 11, Conv2dParams.of(4, 2), true), new ReLU(), new MaxPool2d(pool),
                new Conv2d(d, g, 64, 192, 5, Conv2dParams.of(1, 2), true), new ReLU(), new MaxPool2d(pool),
                new Conv2d(d, g, 192, 384, 3, Conv2dParams.of(1, 1), true), new ReLU(),
                new Conv2d(d, g, 384, 256, 3, Conv2dParams.of(1, 1), true), new ReLU(),
                new Conv2d(d, g, 256, 256, 3, Conv2dParams.of(1, 1), true), new ReLU(), new MaxPool2d(pool)));
        avgpool = child("avgpool", new AdaptiveAvgPool2d(6, 6));
        classifier = child("classifier", new Sequential(
                new Dropout(b.dropout, g), new Linear(d, g, 256 * 6 * 6, 4096, true), new ReLU(),
                new Dropout(b.dropout, g), new Linear(d, g, 4096, 4096, true), new ReLU(),
                new Linear(d, g, 4096, b.numClasses, true)));
    }

    public static Builder builder(Device device) { return new Builder(device); }

    @Override
    public Tensor forward(Tensor x) {
        Models.expectImage("AlexNet", x, 3, 63, 63);
        try (Tensor f = features.forward(x); Tensor p = avgpool.forward(f); Tensor flat = p.flatten(1, -1)) {
            return classifier.forward(flat);
        }
    }

    public static final class Builder {
        private final Device device;
        private int numClasses = 1000;
        private double dropout = 0.5;
        private long seed = 0;

        private Builder(Device device) { this.device = device; }

        public Builder numClasses(int n) { numClasses = n; return this; }

        public Builder dropout(double p) { dropout = p; return this; }

        public Builder seed(long s) { seed = s; return this; }

        public AlexNet build() { return new AlexNet(this); }
    }
}
