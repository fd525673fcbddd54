package dev.kiln.models;

import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Scope;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.nn.Embedding;
import dev.kiln.nn.LayerNorm;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.PositionalEncoding;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.TransformerDecoderLayer;
import dev.kiln.nn.TransformerEncoderLayer;
import java.util.Arrays;

/**
 * The encoder-decoder Transformer of Vaswani et al., "Attention Is All You Need" (NeurIPS 2017), "base"
 * configuration by default: d_model 512, 8 heads, feed-forward 2048, 6 + 6 post-norm layers, dropout 0.1,
 * embeddings scaled by sqrt(d_model) plus sinusoidal positions, final layer norms as torch.nn.Transformer
 * has them, and a linear generator to the target vocabulary. Parameters: src_embed.*, tgt_embed.*,
 * encoder.{i}.*, encoder_norm.*, decoder.{i}.*, decoder_norm.*, generator.*.
 */
public final class Transformer extends Module {
    private final Embedding srcEmbed, tgtEmbed;
    private final PositionalEncoding positions;
    private final Sequential encoder, decoder;
    private final LayerNorm encoderNorm, decoderNorm;
    private final Linear generator;
    private final int dModel, maxLen;

    private Transformer(Builder b) {
        Device d = b.device;
        Generator g = new Generator(b.seed);
        dModel = b.dModel;
        maxLen = b.maxLen;
        srcEmbed = child("src_embed", new Embedding(d, g, b.srcVocab, b.dModel));
        tgtEmbed = child("tgt_embed", new Embedding(d, g, b.tgtVocab, b.dModel));
        positions = new PositionalEncoding(d, b.maxLen, b.dModel);
        encoder = child("encoder", new Sequential());
        for (int i = 0; i < b.layers; i++) {
            encoder.add(new TransformerEncoderLayer(d, g, b.dModel, b.heads, b.dimFeedforward, b.dropout, false, 1e-5, false));
        }
        encoderNorm = child("encoder_norm", new LayerNorm(d, b.dModel));
        decoder = child("decoder", new Sequential());
        for (int i = 0; i < b.layers; i++) {
            decoder.add(new TransformerDecoderLayer(d, g, b.dModel, b.heads, b.dimFeedforward, b.dropout, false, 1e-5, false));
        }
        decoderNorm = child("decoder_norm", new LayerNorm(d, b.dModel));
        generator = child("generator", new Linear(d, g, b.dModel, b.tgtVocab, true));
    }

    public static Builder builder(Device device) { return new Builder(device); }

    /** Single-input use is not meaningful for an encoder-decoder: use {@link #forward(Tensor, Tensor)} or {@link #greedyDecode}. */
    @Override
    public Tensor forward(Tensor x) {
        throw new dev.kiln.KilnException("Transformer: needs source and target ids; call forward(source, target) or greedyDecode");
    }

    private Tensor embed(Embedding table, Tensor ids) {
        if (ids.rank() != 2 || ids.dim(1) > maxLen) {
            throw new ShapeException("Transformer: expected token ids [N, T <= " + maxLen + "], got " + ids.shape());
        }
        try (Tensor e = table.forward(ids); Tensor scaled = e.mul(Math.sqrt(dModel))) {
            return positions.forward(scaled);
        }
    }

    /** Encodes source ids [N, S] into memory [N, S, d_model]. */
    public Tensor encode(Tensor source, Tensor sourcePadding) {
        try (Scope s = Kiln.scope()) {
            Tensor h = embed(srcEmbed, source);
            for (int i = 0; i < encoder.size(); i++) h = ((TransformerEncoderLayer) encoder.get(i)).forward(h, sourcePadding);
            return s.keep(encoderNorm.forward(h));
        }
    }

    /** Decodes target ids [N, T] against memory: logits [N, T, tgtVocab]. */
    public Tensor decode(Tensor target, Tensor memory, Tensor sourcePadding) {
        try (Scope s = Kiln.scope()) {
            Tensor h = embed(tgtEmbed, target);
            for (int i = 0; i < decoder.size(); i++) h = ((TransformerDecoderLayer) decoder.get(i)).forward(h, memory, sourcePadding);
            return s.keep(generator.forward(decoderNorm.forward(h)));
        }
    }

    /** Teacher-forced logits [N, T, tgtVocab] for source [N, S] and target [N, T]. */
    public Tensor forward(Tensor source, Tensor target) {
        try (Tensor memory = encode(source, null)) {
            return decode(target, memory, null);
        }
    }

    /**
     * Greedy decoding: starts every sequence with {@code bos}, appends the most likely next token until
     * every sequence has produced {@code eos} or {@code maxTokens} tokens were generated. Returns [N, L]
     * ids including bos (positions after a sequence's eos repeat eos).
     */
    public long[][] greedyDecode(Tensor source, long bos, long eos, int maxTokens) {
        int n = source.dim(0);
        long[][] out = new long[n][];
        long[] flat = new long[n];
        Arrays.fill(flat, bos);
        int len = 1;
        boolean[] done = new boolean[n];
        try (Tensor memory = encode(source, null)) {
            while (len <= maxTokens && len < maxLen) {
                long[] next;
                try (Tensor tgt = source.device().fromArray(flat, n, len);
                     Tensor logits = decode(tgt, memory, null);
                     Tensor last = logits.narrow(1, len - 1, 1);
                     Tensor best = last.argmax(2)) {
                    next = best.toLongArray();
                }
                long[] grown = new long[n * (len + 1)];
                boolean all = true;
                for (int i = 0; i < n; i++) {
                    System.arraycopy(flat, i * len, grown, i * (len + 1), len);
                    long tok = done[i] ? eos : next[i];
                    grown[i * (len + 1) + len] = tok;
                    done[i] |= tok == eos;
                    all &= done[i];
                }
                flat = grown;
                len++;
                if (all) break;
            }
        }
        for (int i = 0; i < n; i++) out[i] = Arrays.copyOfRange(flat, i * len, (i + 1) * len);
        return out;
    }

    @Override
    public void close() {
        positions.close();
        super.close();
    }

    public static final class Builder {
        private final Device device;
        private int srcVocab = 32000, tgtVocab = 32000, maxLen = 512, dModel = 512, heads = 8, layers = 6, dimFeedforward = 2048;
        private double dropout = 0.1;
        private long seed = 0;

        private Builder(Device device) { this.device = device; }

        public Builder srcVocab(int v) { srcVocab = v; return this; }

        public Builder tgtVocab(int v) { tgtVocab = v; return this; }

        public Builder maxLen(int n) { maxLen = n; return this; }

        public Builder dModel(int dm) { dModel = dm; return this; }

        public Builder heads(int h) { heads = h; return this; }

        public Builder layers(int l) { layers = l; return this; }

        public Builder dimFeedforward(int f) { dimFeedforward = f; return this; }

        public Builder dropout(double p) { dropout = p; return this; }

        public Builder seed(long s) { seed = s; return this; }

        public Transformer build() { return new Transformer(this); }
    }
}
