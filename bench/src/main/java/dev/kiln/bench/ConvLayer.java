package dev.kiln.bench;

import dev.kiln.Conv2dParams;
import java.util.List;
import java.util.Optional;

/**
 * One convolution layer of a reference network, as torchvision builds it for a 224x224 image:
 * {@code inC -> outC} channels, a square {@code kernel}, on an {@code inH x inW} input.
 */
public record ConvLayer(String name, int inC, int outC, int inH, int inW, int kernel, int stride, int padding, boolean bias) {

    /** AlexNet's five convolutions (torchvision.models.alexnet). */
    public static final List<ConvLayer> ALEXNET = List.of(
            new ConvLayer("alexnet.conv1", 3, 64, 224, 224, 11, 4, 2, true),
            new ConvLayer("alexnet.conv2", 64, 192, 27, 27, 5, 1, 2, true),
            new ConvLayer("alexnet.conv3", 192, 384, 13, 13, 3, 1, 1, true),
            new ConvLayer("alexnet.conv4", 384, 256, 13, 13, 3, 1, 1, true),
            new ConvLayer("alexnet.conv5", 256, 256, 13, 13, 3, 1, 1, true));

    /**
     * A representative set of GoogLeNet's convolutions (torchvision.models.googlenet, whose
     * BasicConv2d has no bias): the 7x7/2 stem, the 1x1 and 3x3 stem layers, every branch of
     * inception 3a (its 5x5 branch as the paper has it; torchvision uses 3x3 there), and the
     * deep, narrow 4e and 5b shapes.
     */
    public static final List<ConvLayer> GOOGLENET = List.of(
            new ConvLayer("googlenet.conv1", 3, 64, 224, 224, 7, 2, 3, false),
            new ConvLayer("googlenet.conv2", 64, 64, 56, 56, 1, 1, 0, false),
            new ConvLayer("googlenet.conv3", 64, 192, 56, 56, 3, 1, 1, false),
            new ConvLayer("googlenet.3a.1x1", 192, 64, 28, 28, 1, 1, 0, false),
            new ConvLayer("googlenet.3a.3x3reduce", 192, 96, 28, 28, 1, 1, 0, false),
            new ConvLayer("googlenet.3a.3x3", 96, 128, 28, 28, 3, 1, 1, false),
            new ConvLayer("googlenet.3a.5x5reduce", 192, 16, 28, 28, 1, 1, 0, false),
            new ConvLayer("googlenet.3a.5x5", 16, 32, 28, 28, 5, 1, 2, false),
            new ConvLayer("googlenet.4e.3x3", 160, 320, 14, 14, 3, 1, 1, false),
            new ConvLayer("googlenet.5b.1x1", 832, 384, 7, 7, 1, 1, 0, false));

    public static final List<ConvLayer> ALL = java.util.stream.Stream.concat(ALEXNET.stream(), GOOGLENET.stream()).toList();

    public static Optional<ConvLayer> byName(String name) {
        return ALL.stream().filter(l -> l.name.equals(name)).findFirst();
    }

    public Conv2dParams params() { return Conv2dParams.of(stride, padding); }

    public int outH() { return params().outH(inH, kernel); }

    public int outW() { return params().outW(inW, kernel); }

    public int[] inputDims(int batch) { return new int[] {batch, inC, inH, inW}; }

    public int[] weightDims() { return new int[] {outC, inC, kernel, kernel}; }

    /** Multiply-adds counted twice, bias left out, as cuDNN and PyTorch's profilers count. */
    public double flops(int batch) {
        return 2.0 * batch * outC * outH() * outW() * inC * kernel * kernel;
    }

    /** {@code 3x224x224 -> 64x55x55, 11x11/4 p2}. */
    public String geometry() {
        return inC + "x" + inH + "x" + inW + " -> " + outC + "x" + outH() + "x" + outW() + ", " + kernel + "x" + kernel
                + (stride != 1 ? "/" + stride : "") + (padding != 0 ? " p" + padding : "");
    }
}
