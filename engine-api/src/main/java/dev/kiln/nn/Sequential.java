package dev.kiln.nn;

import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import java.util.ArrayList;
import java.util.List;

/** {@code torch.nn.Sequential}: children named 0, 1, 2, ... run in order; intermediate outputs are freed as they are used. */
public final class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    public Sequential(Module... layers) {
        for (Module m : layers) add(m);
    }

    public Sequential add(Module m) {
        child(Integer.toString(layers.size()), m);
        layers.add(m);
        return this;
    }

    public Module get(int i) { return layers.get(i); }

    public int size() { return layers.size(); }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = x;
        for (Module m : layers) {
            Tensor next;
            try {
                next = m.forward(h);
            } catch (ShapeException e) {
                int i = layers.indexOf(m);
                throw new ShapeException("layer " + i + " (" + m.getClass().getSimpleName() + "): " + e.getMessage());
            } finally {
                if (h != x) h.close();
            }
            h = next;
        }
        return h == x ? Layers.alias(x) : h;
    }
}
