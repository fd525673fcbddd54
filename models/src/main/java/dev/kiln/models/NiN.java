package dev.kiln.models;

import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Pool2dParams;
import dev.kiln.Tensor;
import dev.kiln.nn.AdaptiveAvgPool2d;
import dev.kiln.nn.Blocks;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.MaxPool2d;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;

/**
 * Network in Network (Lin, Chen and Yan, ICLR 2014) as "Dive into Deep Learning" (section 8.3) builds
 * it: four NiN blocks (a conv and two 1x1 convs with ReLU) with max pooling, dropout 0.5, the last block
 * producing one map per class, global average pooling. Defaults: 1 input channel (Fashion-MNIST
 * resized to 224x224, as d2l trains it), 10 classes. Parameters: net.{0,2,4,7}.{0,2,4}.*.
 */
public final class NiN extends Module {
    private final Sequential net;

    private NiN(Builder b) {
        Device d = b.device;
        Generator g = new Generator(b.seed);
        Pool2dParams pool = Pool2dParams.of(3, 2, 0);
        net = child("net", new Sequential(
                Blocks.nin(d, g, b.inChannels, 96, 11, 4, 0), new MaxPool2d(pool),
                Blocks.nin(d, g, 96, 256, 5, 1, 2), new MaxPool2d(pool),
                Blocks.nin(d, g, 256, 384, 3, 1, 1), new MaxPool2d(pool),
                new Dropout(0.5, g),
                Blocks.nin(d, g, 384, b.numClasses, 3, 1, 1),
                new AdaptiveAvgPool2d(1, 1), new Flatten()));
    }

    public static Builder builder(Device device) { return new Builder(device); }

    @Override
    public Tensor forward(Tensor x) {
        Models.expectImage("NiN", x, net.get(0).stateDict().get("0.weight").dim(1), 63, 63);
        return net.forward(x);
    }

    public static final class Builder {
        private final Device device;
        private int inChannels = 1, numClasses = 10;
        private long seed = 0;

        private Builder(Device device) { this.device = device; }

        public Builder inChannels(int c) { inChannels = c; return this; }

        public Builder numClasses(int n) { numClasses = n; return this; }

        public Builder seed(long s) { seed = s; return this; }

        public NiN build() { return new NiN(this); }
    }
}
