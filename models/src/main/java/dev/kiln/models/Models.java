package dev.kiln.models;

import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Init;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import java.util.function.Consumer;

/** Checks shared by the zoo. */
final class Models {
    private Models() {}

    /** An image batch [N, channels, >= minH, >= minW], or a ShapeException naming the model and what it expects. */
    static void expectImage(String model, Tensor x, int channels, int minH, int minW) {
        if (x.rank() != 4 || x.dim(1) != channels || x.dim(2) < minH || x.dim(3) < minW) {
            throw new ShapeException(model + ": expected input [N, " + channels + ", H >= " + minH + ", W >= " + minW + "], got " + x.shape());
        }
    }

    /** Visits a module and all its descendants, parents first. */
    static void visit(Module m, Consumer<Module> f) {
        f.accept(m);
        m.children().values().forEach(c -> visit(c, f));
    }

    /** Overwrites a parameter of a layer with a freshly initialized value. */
    static void set(Module layer, String name, Tensor value) {
        try (value) {
            layer.stateDict().get(name).assign(value);
        }
    }

    /** torchvision's VGG/ResNet conv init: kaiming_normal_(fan_out, relu), zero bias. */
    static void kaimingConvs(Module model, Device d, Generator g) {
        visit(model, m -> {
            if (m instanceof Conv2d c) {
                Tensor w = c.stateDict().get("weight");
                set(c, "weight", Init.kaimingNormalFanOut(d, g, w.shape().dims()));
                if (c.stateDict().containsKey("bias")) c.stateDict().get("bias").fill(0);
            }
        });
    }

    /** Linear layers drawn from N(0, std^2) with zero bias (torchvision's VGG classifier; GoogLeNet uses std 0.01 for every layer). */
    static void normalLinears(Module model, Device d, Generator g, double std) {
        visit(model, m -> {
            if (m instanceof Linear l) {
                set(l, "weight", Init.normal(d, g, std, l.outFeatures(), l.inFeatures()));
                if (l.stateDict().containsKey("bias")) l.stateDict().get("bias").fill(0);
            }
        });
    }
}
