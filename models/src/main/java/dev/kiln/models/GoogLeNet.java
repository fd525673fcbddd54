package dev.kiln.models;

import dev.kiln.Device;
import dev.kiln.Functional;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Pool2dParams;
import dev.kiln.Scope;
import dev.kiln.Tensor;
import dev.kiln.nn.AdaptiveAvgPool2d;
import dev.kiln.nn.Blocks.ConvBnRelu;
import dev.kiln.nn.Blocks.Inception;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Linear;
import dev.kiln.nn.MaxPool2d;
import dev.kiln.nn.Module;

/**
 * GoogLeNet (Szegedy et al., "Going Deeper with Convolutions", CVPR 2015) as torchvision builds it:
 * batch-normalized conv blocks, nine Inception modules, 6,624,904 parameters without the auxiliary
 * classifiers (which exist when built with {@code auxLogits(true)} and run in training mode, through
 * {@link #forwardWithAux}). Weights start from N(0, 0.01^2), biases 0, as torchvision's init does (its
 * truncation bounds of +-2 are absolute, i.e. 200 standard deviations, so it is a plain normal).
 */
public final class GoogLeNet extends Module {
    /** Main logits and, in training mode with aux heads, the two auxiliary logits (else null). */
    public record Outputs(Tensor logits, Tensor aux2, Tensor aux1) implements AutoCloseable {
        @Override public void close() { logits.close(); if (aux2 != null) aux2.close(); if (aux1 != null) aux1.close(); }
    }

    /** torchvision's InceptionAux: 4x4 adaptive average pool, 1x1 conv to 128, fc 2048 to 1024, dropout 0.7, fc to classes. */
    static final class InceptionAux extends Module {
        private final ConvBnRelu conv;
        private final Linear fc1, fc2;
        private final Dropout dropout;

        InceptionAux(Device d, Generator g, int in, int classes) {
            conv = child("conv", new ConvBnRelu(d, g, in, 128, 1, 1, 0));
            fc1 = child("fc1", new Linear(d, g, 2048, 1024, true));
            fc2 = child("fc2", new Linear(d, g, 1024, classes, true));
            dropout = child("dropout", new Dropout(0.7, g));
        }

        @Override
        public Tensor forward(Tensor x) {
            try (Scope s = Kiln.scope()) {
                Tensor h = conv.forward(Functional.adaptiveAvgPool2d(x, 4, 4)).flatten(1, -1);
                return s.keep(fc2.forward(dropout.forward(fc1.forward(h).relu())));
            }
        }
    }

    private final ConvBnRelu conv1, conv2, conv3;
    private final MaxPool2d maxpool1, maxpool2, maxpool3, maxpool4;
    private final Inception i3a, i3b, i4a, i4b, i4c, i4d, i4e, i5a, i5b;
    private final InceptionAux aux1, aux2;
    private final AdaptiveAvgPool2d avgpool;
    private final Dropout dropout;
    private final Linear fc;

    private GoogLeNet(Builder b) {
        Device d = b.device;
        Generator g = new Generator(b.seed);
        Pool2dParams p3s2 = Pool2dParams.of(3, 2, 0).withCeilMode(true);
        conv1 = child("conv1", new ConvBnRelu(d, g, 3, 64, 7, 2, 3));
        maxpool1 = child("maxpool1", new MaxPool2d(p3s2));
        conv2 = child("conv2", new ConvBnRelu(d, g, 64, 64, 1, 1, 0));
        conv3 = child("conv3", new ConvBnRelu(d, g, 64, 192, 3, 1, 1));
        maxpool2 = child("maxpool2", new MaxPool2d(p3s2));
        i3a = child("inception3a", new Inception(d, g, 192, 64, 96, 128, 16, 32, 32));
        i3b = child("inception3b", new Inception(d, g, 256, 128, 128, 192, 32, 96, 64));
        maxpool3 = child("maxpool3", new MaxPool2d(p3s2));
        i4a = child("inception4a", new Inception(d, g, 480, 192, 96, 208, 16, 48, 64));
        i4b = child("inception4b", new Inception(d, g, 512, 160, 112, 224, 24, 64, 64));
        i4c = child("inception4c", new Inception(d, g, 512, 128, 128, 256, 24, 64, 64));
        i4d = child("inception4d", new Inception(d, g, 512, 112, 144, 288, 32, 64, 64));
        i4e = child("inception4e", new Inception(d, g, 528, 256, 160, 320, 32, 128, 128));
        maxpool4 = child("maxpool4", new MaxPool2d(Pool2dParams.of(2, 2, 0).withCeilMode(true)));
        i5a = child("inception5a", new Inception(d, g, 832, 256, 160, 320, 32, 128, 128));
        i5b = child("inception5b", new Inception(d, g, 832, 384, 192, 384, 48, 128, 128));
        aux1 = b.auxLogits ? child("aux1", new InceptionAux(d, g, 512, b.numClasses)) : null;
        aux2 = b.auxLogits ? child("aux2", new InceptionAux(d, g, 528, b.numClasses)) : null;
        avgpool = child("avgpool", new AdaptiveAvgPool2d(1, 1));
        dropout = child("dropout", new Dropout(b.dropout, g));
        fc = child("fc", new Linear(d, g, 1024, b.numClasses, true));
        Models.visit(this, m -> {
            if (m instanceof dev.kiln.nn.Conv2d c) {
                Models.set(c, "weight", dev.kiln.nn.Init.normal(d, g, 0.01, c.stateDict().get("weight").shape().dims()));
            }
        });
        Models.normalLinears(this, d, g, 0.01);
    }

    public static Builder builder(Device device) { return new Builder(device); }

    @Override
    public Tensor forward(Tensor x) {
        try (Outputs o = forwardWithAux(x)) {
            return o.logits().reshape(o.logits().shape().dims());
        }
    }

    /** The main logits, plus the auxiliary ones in training mode when the model has them. */
    public Outputs forwardWithAux(Tensor x) {
        Models.expectImage("GoogLeNet", x, 3, 32, 32);
        boolean withAux = aux1 != null && isTraining();
        try (Scope s = Kiln.scope()) {
            Tensor h = maxpool2.forward(conv3.forward(conv2.forward(maxpool1.forward(conv1.forward(x)))));
            h = maxpool3.forward(i3b.forward(i3a.forward(h)));
            h = i4a.forward(h);
            Tensor a1 = withAux ? s.keep(aux1.forward(h)) : null;
            h = i4d.forward(i4c.forward(i4b.forward(h)));
            Tensor a2 = withAux ? s.keep(aux2.forward(h)) : null;
            h = maxpool4.forward(i4e.forward(h));
            h = i5b.forward(i5a.forward(h));
            Tensor logits = fc.forward(dropout.forward(avgpool.forward(h).flatten(1, -1)));
            return new Outputs(s.keep(logits), a2, a1);
        }
    }

    public static final class Builder {
        private final Device device;
        private int numClasses = 1000;
        private boolean auxLogits;
        private double dropout = 0.2;
        private long seed = 0;

        private Builder(Device device) { this.device = device; }

        public Builder numClasses(int n) { numClasses = n; return this; }

        /** Adds the two auxiliary classifiers used in training (torchvision's aux_logits). */
        public Builder auxLogits(boolean on) { auxLogits = on; return this; }

        public Builder dropout(double p) { dropout = p; return this; }

        public Builder seed(long s) { seed = s; return this; }

        public GoogLeNet build() { return new GoogLeNet(this); }
    }
}
