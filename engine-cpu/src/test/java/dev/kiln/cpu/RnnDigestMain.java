package dev.kiln.cpu;

import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.RnnGrads;
import dev.kiln.RnnParams;
import dev.kiln.RnnResult;
import dev.kiln.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Run in child JVMs with other {@code -Dkiln.cpu.threads} by {@link CpuRnnPathTest}: a digest of every
 * bit of a bidirectional two-layer LSTM's and GRU's outputs and gradients, at sizes where the GEMMs,
 * the gate passes and the column sums all split over the workers.
 */
public final class RnnDigestMain {
    private RnnDigestMain() {}

    static String digest() {
        Device cpu = Kiln.device("cpu");
        int steps = 3, batch = 17, in = 16, hidden = 257;
        long h = 17;
        for (RnnParams.Mode mode : RnnParams.Mode.values()) {
            RnnParams p = new RnnParams(mode, in, hidden, 2, true);
            boolean lstm = mode == RnnParams.Mode.LSTM;
            List<Tensor> owned = new ArrayList<>();
            int seed = 1;
            Tensor x = keep(owned, cpu.randn(new Generator(seed++), steps, batch, in));
            Tensor h0 = keep(owned, cpu.randn(new Generator(seed++), 4, batch, hidden));
            Tensor c0 = lstm ? keep(owned, cpu.randn(new Generator(seed++), 4, batch, hidden)) : null;
            Tensor gOut = keep(owned, cpu.randn(new Generator(seed++), steps, batch, 2 * hidden));
            List<Tensor> w = new ArrayList<>();
            int g = p.gates() * hidden;
            for (int slot = 0; slot < 4; slot++) {
                int[][] shapes = {{g, p.layerInput(slot / 2)}, {g, hidden}, {g}, {g}};
                for (int[] s : shapes) {
                    try (Tensor r = cpu.randn(new Generator(seed++), s); Tensor scale = cpu.scalar(1 / Math.sqrt(hidden))) {
                        w.add(keep(owned, r.mul(scale)));
                    }
                }
            }
            try (RnnResult r = cpu.backend().fastPaths().rnn(p, x, h0, c0, w, true);
                 RnnGrads gr = cpu.backend().fastPaths().rnnBackward(p, x, h0, c0, w, r, gOut, null, null)) {
                List<Tensor> all = new ArrayList<>(List.of(r.output(), r.hN(), r.reserve(), gr.input(), gr.h0()));
                all.addAll(gr.weights());
                for (Tensor t : all) h = h * 31 + Arrays.hashCode(t.toFloatArray());
            }
            owned.forEach(Tensor::close);
        }
        return Long.toHexString(h);
    }

    private static Tensor keep(List<Tensor> owned, Tensor t) {
        owned.add(t);
        return t;
    }

    public static void main(String[] args) {
        System.out.println("threads " + Parallel.THREADS + " digest " + digest());
    }
}
