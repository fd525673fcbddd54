package dev.kiln.nn;

import dev.kiln.Conv2dParams;
import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Pool2dParams;
import dev.kiln.Scope;
import dev.kiln.Tensor;
import java.util.List;

/** The building blocks of the CNN zoo, named as torchvision (and d2l for NiN) name their parts. */
public final class Blocks {
    private Blocks() {}

    /** torchvision's BasicConv2d for GoogLeNet: conv (no bias), BatchNorm2d(eps = 0.001), ReLU. Children conv, bn. */
    public static final class ConvBnRelu extends Module {
        private final Conv2d conv;
        private final BatchNorm2d bn;

        public ConvBnRelu(Device d, Generator g, int in, int out, int kernel, int stride, int padding) {
            conv = child("conv", new Conv2d(d, g, in, out, kernel, Conv2dParams.of(stride, padding), false));
            bn = child("bn", new BatchNorm2d(d, out, 0.001, 0.1));
        }

        @Override
        public Tensor forward(Tensor x) {
            try (Tensor c = conv.forward(x); Tensor b = bn.forward(c)) {
                return b.relu();
            }
        }
    }

    /**
     * The Inception module of GoogLeNet (Szegedy et al. 2015) as torchvision builds it: four branches
     * (1x1; 1x1 then 3x3; 1x1 then 3x3 — torchvision's known substitute for 5x5; 3x3 max pool then 1x1)
     * concatenated on channels.
     */
    public static final class Inception extends Module {
        private final Module b1, b2, b3, b4;

        public Inception(Device d, Generator g, int in, int ch1x1, int ch3x3red, int ch3x3, int ch5x5red, int ch5x5, int poolProj) {
            b1 = child("branch1", new ConvBnRelu(d, g, in, ch1x1, 1, 1, 0));
            b2 = child("branch2", new Sequential(new ConvBnRelu(d, g, in, ch3x3red, 1, 1, 0), new ConvBnRelu(d, g, ch3x3red, ch3x3, 3, 1, 1)));
            b3 = child("branch3", new Sequential(new ConvBnRelu(d, g, in, ch5x5red, 1, 1, 0), new ConvBnRelu(d, g, ch5x5red, ch5x5, 3, 1, 1)));
            b4 = child("branch4", new Sequential(new MaxPool2d(Pool2dParams.of(3, 1, 1).withCeilMode(true)), new ConvBnRelu(d, g, in, poolProj, 1, 1, 0)));
        }

        @Override
        public Tensor forward(Tensor x) {
            try (Scope s = Kiln.scope()) {
                return s.keep(Tensor.concat(List.of(b1.forward(x), b2.forward(x), b3.forward(x), b4.forward(x)), 1));
            }
        }
    }

    /**
     * A residual block of ResNet (He et al. 2016) as torchvision builds it: BasicBlock (two 3x3 convs,
     * expansion 1) or Bottleneck (1x1, 3x3 with the stride, 1x1 x4 — the "v1.5" stride placement), with a
     * 1x1 conv + BN downsample on the shortcut when the shape changes. Children conv1, bn1, ..., downsample.
     */
    public static final class Residual extends Module {
        private final Module conv1, bn1, conv2, bn2, conv3, bn3, downsample;

        public Residual(Device d, Generator g, boolean bottleneck, int in, int planes, int stride) {
            int expansion = bottleneck ? 4 : 1;
            int out = planes * expansion;
            if (bottleneck) {
                conv1 = child("conv1", new Conv2d(d, g, in, planes, 1, Conv2dParams.of(1, 0), false));
                bn1 = child("bn1", new BatchNorm2d(d, planes));
                conv2 = child("conv2", new Conv2d(d, g, planes, planes, 3, Conv2dParams.of(stride, 1), false));
                bn2 = child("bn2", new BatchNorm2d(d, planes));
                conv3 = child("conv3", new Conv2d(d, g, planes, out, 1, Conv2dParams.of(1, 0), false));
                bn3 = child("bn3", new BatchNorm2d(d, out));
            } else {
                conv1 = child("conv1", new Conv2d(d, g, in, planes, 3, Conv2dParams.of(stride, 1), false));
                bn1 = child("bn1", new BatchNorm2d(d, planes));
                conv2 = child("conv2", new Conv2d(d, g, planes, planes, 3, Conv2dParams.of(1, 1), false));
                bn2 = child("bn2", new BatchNorm2d(d, planes));
                conv3 = bn3 = null;
            }
            downsample = stride != 1 || in != out
                    ? child("downsample", new Sequential(new Conv2d(d, g, in, out, 1, Conv2dParams.of(stride, 0), false), new BatchNorm2d(d, out)))
                    : null;
        }

        @Override
        public Tensor forward(Tensor x) {
            try (Scope s = Kiln.scope()) {
                Tensor h = bn1.forward(conv1.forward(x)).relu();
                h = bn2.forward(conv2.forward(h));
                if (conv3 != null) h = bn3.forward(conv3.forward(h.relu()));
                Tensor shortcut = downsample != null ? downsample.forward(x) : x;
                return s.keep(h.add(shortcut).relu());
            }
        }
    }

    /** The NiN block of Lin et al. 2014 as "Dive into Deep Learning" builds it: a conv and two 1x1 convs, each followed by ReLU. */
    public static Sequential nin(Device d, Generator g, int in, int out, int kernel, int stride, int padding) {
        return new Sequential(
                new Conv2d(d, g, in, out, kernel, Conv2dParams.of(stride, padding), true), new ReLU(),
                new Conv2d(d, g, out, out, 1, Conv2dParams.of(1, 0), true), new ReLU(),
                new Conv2d(d, g, out, out, 1, Conv2dParams.of(1, 0), true), new ReLU());
    }
}
