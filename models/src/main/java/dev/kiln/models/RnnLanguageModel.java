package dev.kiln.models;

import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.RnnParams;
import dev.kiln.Scope;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Embedding;
import dev.kiln.nn.Init;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.Recurrent;

/**
 * A word- or character-level language model with an LSTM or GRU (Zaremba, Sutskever and Vinyals,
 * "Recurrent Neural Network Regularization", 2014; weight tying from Press and Wolf 2017), laid out as
 * PyTorch's word_language_model example: {@code encoder} (embedding), {@code rnn}, {@code decoder}
 * (linear to the vocabulary, optionally tied to the embedding), dropout on the embedding and on the RNN
 * output. Dropout between stacked RNN layers is not applied (the fused RNN op has none). Initialization
 * as that example: embedding and decoder U(-0.1, 0.1), decoder bias 0.
 */
public final class RnnLanguageModel extends Module {
    private final Embedding encoder;
    private final Recurrent rnn;
    private final Linear decoder;
    private final Dropout drop;
    private final int vocab;

    private RnnLanguageModel(Builder b) {
        Device d = b.device;
        Generator g = new Generator(b.seed);
        if (b.tied && b.embed != b.hidden) {
            throw new ShapeException("RnnLanguageModel: tied weights need embed == hidden, got " + b.embed + " and " + b.hidden);
        }
        vocab = b.vocab;
        encoder = child("encoder", new Embedding(d, g, b.vocab, b.embed));
        Models.set(encoder, "weight", Init.uniform(d, g, 0.1, b.vocab, b.embed));
        rnn = child("rnn", new Recurrent(d, g, new RnnParams(b.mode, b.embed, b.hidden, b.layers, false), true));
        decoder = child("decoder", new Linear(d, g, b.hidden, b.vocab, true));
        Models.set(decoder, "weight", Init.uniform(d, g, 0.1, b.vocab, b.hidden));
        decoder.stateDict().get("bias").fill(0);
        if (b.tied) decoder.tie("weight", encoder.stateDict().get("weight"));
        drop = child("drop", new Dropout(b.dropout, g));
    }

    public static Builder builder(Device device) { return new Builder(device); }

    public int vocabSize() { return vocab; }

    /** Token ids [N, T] (I64) give logits [N, T, vocab], from zero initial states. */
    @Override
    public Tensor forward(Tensor ids) {
        if (ids.rank() != 2) throw new ShapeException("RnnLanguageModel: expected token ids [N, T], got " + ids.shape());
        try (Scope s = Kiln.scope()) {
            Tensor h = drop.forward(encoder.forward(ids));
            Tensor out = drop.forward(rnn.forward(h));
            return s.keep(decoder.forward(out));
        }
    }

    public static final class Builder {
        private final Device device;
        private RnnParams.Mode mode = RnnParams.Mode.LSTM;
        private int vocab = 10000, embed = 650, hidden = 650, layers = 2;
        private boolean tied;
        private double dropout = 0.5;
        private long seed = 0;

        private Builder(Device device) { this.device = device; }

        public Builder mode(RnnParams.Mode m) { mode = m; return this; }

        public Builder vocab(int v) { vocab = v; return this; }

        public Builder embed(int e) { embed = e; return this; }

        public Builder hidden(int h) { hidden = h; return this; }

        public Builder layers(int l) { layers = l; return this; }

        public Builder tied(boolean t) { tied = t; return this; }

        public Builder dropout(double p) { dropout = p; return this; }

        public Builder seed(long s) { seed = s; return this; }

        public RnnLanguageModel build() { return new RnnLanguageModel(this); }
    }
}
