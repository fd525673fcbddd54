package dev.kiln.nn;

import dev.kiln.Device;
import dev.kiln.Functional;
import dev.kiln.Generator;
import dev.kiln.RnnParams;
import dev.kiln.RnnResult;
import dev.kiln.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code torch.nn.LSTM} and {@code torch.nn.GRU}: stacked, optionally bidirectional, sequence-first
 * by default or batch-first. Parameters {@code weight_ih_l0}, {@code weight_hh_l0}, {@code bias_ih_l0},
 * {@code bias_hh_l0} (and {@code _reverse}), all drawn from U(-1/sqrt(hidden), 1/sqrt(hidden)) as PyTorch does.
 */
public final class Recurrent extends Module {
    /** The output sequence and the final states (cN null for a GRU); close it when done. */
    public record Output(Tensor output, Tensor hN, Tensor cN) implements AutoCloseable {
        @Override public void close() { output.close(); hN.close(); if (cN != null) cN.close(); }
    }

    private final RnnParams params;
    private final boolean batchFirst;
    private final List<String> weightNames = new ArrayList<>();

    public Recurrent(Device d, Generator g, RnnParams p, boolean batchFirst) {
        this.params = p;
        this.batchFirst = batchFirst;
        double bound = 1 / Math.sqrt(p.hiddenSize());
        int gates = p.gates() * p.hiddenSize();
        for (int l = 0; l < p.numLayers(); l++) {
            for (int dir = 0; dir < p.directions(); dir++) {
                String sfx = "_l" + l + (dir == 1 ? "_reverse" : "");
                for (String[] w : new String[][] {{"weight_ih", "in"}, {"weight_hh", "h"}, {"bias_ih", ""}, {"bias_hh", ""}}) {
                    String name = w[0] + sfx;
                    int[] shape = w[1].isEmpty() ? new int[] {gates} : new int[] {gates, w[1].equals("in") ? p.layerInput(l) : p.hiddenSize()};
                    parameter(name, Init.uniform(d, g, bound, shape));
                    weightNames.add(name);
                }
            }
        }
    }

    public static Recurrent lstm(Device d, Generator g, int input, int hidden, int layers, boolean bidirectional, boolean batchFirst) {
        return new Recurrent(d, g, new RnnParams(RnnParams.Mode.LSTM, input, hidden, layers, bidirectional), batchFirst);
    }

    public static Recurrent gru(Device d, Generator g, int input, int hidden, int layers, boolean bidirectional, boolean batchFirst) {
        return new Recurrent(d, g, new RnnParams(RnnParams.Mode.GRU, input, hidden, layers, bidirectional), batchFirst);
    }

    public RnnParams params() { return params; }

    /** The output sequence only, from zero initial states. */
    @Override
    public Tensor forward(Tensor x) {
        try (Output o = run(x, null, null)) {
            return o.output().reshape(o.output().shape().dims());
        }
    }

    /** Runs the sequence from h0/c0 (null: zeros), states shaped [layers * directions, N, hidden]. */
    public Output run(Tensor x, Tensor h0, Tensor c0) {
        if (x.rank() != 3) {
            throw new dev.kiln.ShapeException(params.mode() + ": input must be " + (batchFirst ? "[N, T, C]" : "[T, N, C]") + ", got " + x.shape());
        }
        Device d = x.device();
        int n = batchFirst ? x.dim(0) : x.dim(1);
        int states = params.numLayers() * params.directions();
        boolean lstm = params.mode() == RnnParams.Mode.LSTM;
        List<Tensor> weights = weightNames.stream().map(this::tensor).toList();
        try (Tensor seqFirst = batchFirst ? x.transpose(0, 1) : x.reshape(x.shape().dims());
             Tensor zh = h0 == null ? d.zeros(states, n, params.hiddenSize()) : h0.reshape(h0.shape().dims());
             Tensor zc = !lstm ? null : c0 == null ? d.zeros(states, n, params.hiddenSize()) : c0.reshape(c0.shape().dims());
             RnnResult r = Functional.rnn(params, seqFirst, zh, zc, weights, false)) {
            Tensor out = batchFirst ? r.output().transpose(0, 1) : r.output().reshape(r.output().shape().dims());
            return new Output(out, r.hN().reshape(r.hN().shape().dims()), lstm ? r.cN().reshape(r.cN().shape().dims()) : null);
        }
    }
}
