package dev.kiln.models;

import dev.kiln.Conv2dParams;
import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Pool2dParams;
import dev.kiln.Scope;
import dev.kiln.Tensor;
import dev.kiln.nn.AdaptiveAvgPool2d;
import dev.kiln.nn.BatchNorm2d;
import dev.kiln.nn.Blocks;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Linear;
import dev.kiln.nn.MaxPool2d;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;

/**
 * ResNet (He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition", CVPR 2016) as
 * torchvision builds it: ResNet-18 (basic blocks [2, 2, 2, 2], 11,689,512 parameters) and ResNet-50
 * (bottlenecks [3, 4, 6, 3] with the stride on the 3x3 conv, 25,557,032 parameters).
 */
public final class ResNet extends Module {
    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final MaxPool2d maxpool;
    private final Sequential[] layers = new Sequential[4];
    private final AdaptiveAvgPool2d avgpool;
    private final Linear fc;

    private ResNet(Builder b) {
        Device d = b.device;
        Generator g = new Generator(b.seed);
        boolean bottleneck = b.depth == 50;
        int[] blocks = bottleneck ? new int[] {3, 4, 6, 3} : new int[] {2, 2, 2, 2};
        int expansion = bottleneck ? 4 : 1;
        conv1 = child("conv1", new Conv2d(d, g, 3, 64, 7, Conv2dParams.of(2, 3), false));
        bn1 = child("bn1", new BatchNorm2d(d, 64));
        maxpool = child("maxpool", new MaxPool2d(Pool2dParams.of(3, 2, 1)));
        int in = 64;
        for (int i = 0; i < 4; i++) {
            int planes = 64 << i;
            Sequential layer = new Sequential();
            for (int j = 0; j < blocks[i]; j++) {
                layer.add(new Blocks.Residual(d, g, bottleneck, in, planes, j == 0 && i > 0 ? 2 : 1));
                in = planes * expansion;
            }
            layers[i] = child("layer" + (i + 1), layer);
        }
        avgpool = child("avgpool", new AdaptiveAvgPool2d(1, 1));
        fc = child("fc", new Linear(d, g, 512 * expansion, b.numClasses, true));
        Models.kaimingConvs(this, d, g);
    }

    public static Builder builder(Device device) { return new Builder(device); }

    @Override
    public Tensor forward(Tensor x) {
        Models.expectImage("ResNet", x, 3, 32, 32);
        try (Scope s = Kiln.scope()) {
            Tensor h = maxpool.forward(bn1.forward(conv1.forward(x)).relu());
            for (Sequential layer : layers) h = layer.forward(h);
            return s.keep(fc.forward(avgpool.forward(h).flatten(1, -1)));
        }
    }

    public static final class Builder {
        private final Device device;
        private int depth = 18, numClasses = 1000;
        private long seed = 0;

        private Builder(Device device) { this.device = device; }

        /** 18 or 50. */
        public Builder depth(int depth) {
            if (depth != 18 && depth != 50) throw new dev.kiln.KilnException("ResNet: depth must be 18 or 50, got " + depth);
            this.depth = depth;
            return this;
        }

        public Builder numClasses(int n) { numClasses = n; return this; }

        public Builder seed(long s) { seed = s; return this; }

        public ResNet build() { return new ResNet(this); }
    }
}
