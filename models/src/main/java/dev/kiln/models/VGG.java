package dev.kiln.models;

import dev.kiln.Conv2dParams;
import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Pool2dParams;
import dev.kiln.Tensor;
import dev.kiln.nn.AdaptiveAvgPool2d;
import dev.kiln.nn.BatchNorm2d;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Linear;
import dev.kiln.nn.MaxPool2d;
import dev.kiln.nn.Module;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;

/**
 * VGG (Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition",
 * ICLR 2015) as torchvision builds it: configuration A (VGG-11, 132,863,336 parameters) or D (VGG-16,
 * 138,357,544), optionally with batch norm, input 3x224x224.
 */
public final class VGG extends Module {
    /** -1 marks a 2x2 max pool. */
    private static final int[] VGG11 = {64, -1, 128, -1, 256, 256, -1, 512, 512, -1, 512, 512, -1};
    private static final int[] VGG16 = {64, 64, -1, 128, 128, -1, 256, 256, 256, -1, 512, 512, 512, -1, 512, 512, 512, -1};

    private final Sequential features, classifier;
    private final AdaptiveAvgPool2d avgpool;

    private VGG(Builder b) {
        Device d = b.device;
        Generator g = new Generator(b.seed);
        features = child("features", new Sequential());
        int in = 3;
        for (int c : b.depth == 11 ? VGG11 : VGG16) {
            if (c < 0) {
                features.add(new MaxPool2d(Pool2dParams.of(2, 2, 0)));
                continue;
            }
            features.add(new Conv2d(d, g, in, c, 3, Conv2dParams.of(1, 1), true));
            if (b.batchNorm) features.add(new BatchNorm2d(d, c));
            features.add(new ReLU());
            in = c;
        }
        avgpool = child("avgpool", new AdaptiveAvgPool2d(7, 7));
        classifier = child("classifier", new Sequential(
                new Linear(d, g, 512 * 7 * 7, 4096, true), new ReLU(), new Dropout(b.dropout, g),
                new Linear(d, g, 4096, 4096, true), new ReLU(), new Dropout(b.dropout, g),
                new Linear(d, g, 4096, b.numClasses, true)));
        Models.kaimingConvs(this, d, g);
        Models.normalLinears(this, d, g, 0.01);
    }

    public static Builder builder(Device device) { return new Builder(device); }

    @Override
    public Tensor forward(Tensor x) {
        Models.expectImage("VGG", x, 3, 32, 32);
        try (Tensor f = features.forward(x); Tensor p = avgpool.forward(f); Tensor flat = p.flatten(1, -1)) {
            return classifier.forward(flat);
        }
    }

    public static final class Builder {
        private final Device device;
        private int depth = 16, numClasses = 1000;
        private boolean batchNorm;
        private double dropout = 0.5;
        private long seed = 0;

        private Builder(Device device) { this.device = device; }

        /** 11 or 16. */
        public Builder depth(int depth) {
            if (depth != 11 && depth != 16) throw new dev.kiln.KilnException("VGG: depth must be 11 or 16, got " + depth);
            this.depth = depth;
            return this;
        }

        public Builder batchNorm(boolean on) { batchNorm = on; return this; }

        public Builder numClasses(int n) { numClasses = n; return this; }

        public Builder dropout(double p) { dropout = p; return this; }

        public Builder seed(long s) { seed = s; return this; }

        public VGG build() { return new VGG(this); }
    }
}
