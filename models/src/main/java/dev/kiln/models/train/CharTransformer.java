package dev.kiln.models.train;

import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.KilnException;
import dev.kiln.Scope;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Embedding;
import dev.kiln.nn.LayerNorm;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.MultiheadAttention;
import dev.kiln.spi.Distribution;

/**
 * A small decoder-only character model (GPT-2's layout, Radford et al. 2019): token and learned position
 * embeddings, pre-norm blocks of causal self-attention and a GELU feed-forward, a final layer norm and a
 * linear head. Token ids [N, T <= maxLen] (I64) give logits [N, T, vocab].
 */
public final class CharTransformer extends Module {
    private final Embedding tokens, positions;
    private final Block[] blocks;
    private final LayerNorm finalNorm;
    private final Linear head;
    private final Dropout drop;
    private final int maxLen;
    /** Initializes the weights, then draws every dropout mask; its position is part of a run's state. */
    private final Generator generator;

    public CharTransformer(Device d, long seed, int vocab, int maxLen, int dModel, int heads, int layers, double dropout) {
        Generator g = new Generator(seed);
        this.generator = g;
        this.maxLen = maxLen;
        tokens = child("tok_emb", new Embedding(d, g, vocab, dModel));
        positions = child("pos_emb", new Embedding(d, g, maxLen, dModel));
        drop = child("drop", new Dropout(dropout, g));
        blocks = new Block[layers];
        for (int i = 0; i < layers; i++) blocks[i] = child("blocks." + i, new Block(d, g, dModel, heads, dropout));
        finalNorm = child("ln_f", new LayerNorm(d, dModel));
        head = child("head", new Linear(d, g, dModel, vocab, true));
    }

    public int maxLen() { return maxLen; }

    /** Philox counters used so far (initialization and dropout masks); a checkpoint records it. */
    public long randomOffset() { return generator.offset(); }

    /**
     * Moves the generator on to {@code offset}, where the checkpointed run left it, so that a resumed run
     * draws the dropout masks the uninterrupted run would. The model must be built with that run's seed.
     */
    public void skipRandomTo(long offset) {
        long now = generator.offset();
        if (offset < now) {
            throw new KilnException("CharTransformer.skipRandomTo: the generator is already at counter " + now + ", past " + offset);
        }
        // a reservation of n uniform values takes ceil(n / 4) counters, so 4 * k values skip exactly k
        generator.reserve(Distribution.UNIFORM, 4 * (offset - now));
    }

    @Override
    public Tensor forward(Tensor ids) {
        if (ids.rank() != 2 || ids.dim(1) > maxLen) {
            throw new ShapeException("CharTransformer: expected token ids [N, T <= " + maxLen + "], got " + ids.shape());
        }
        try (Scope s = Kiln.scope()) {
            Tensor h = drop.forward(tokens.forward(ids).add(positions.forward(ids.device().arange(ids.dim(1)))));
            for (Block b : blocks) h = b.forward(h);
            return s.keep(head.forward(finalNorm.forward(h)));
        }
    }

    /** x + attention(norm(x)), then x + feedForward(norm(x)). */
    private static final class Block extends Module {
        private final LayerNorm norm1, norm2;
        private final MultiheadAttention attention;
        private final Linear up, down;
        private final Dropout drop;

        Block(Device d, Generator g, int dModel, int heads, double dropout) {
            norm1 = child("ln_1", new LayerNorm(d, dModel));
            attention = child("attn", new MultiheadAttention(d, g, dModel, heads));
            norm2 = child("ln_2", new LayerNorm(d, dModel));
            up = child("mlp.fc", new Linear(d, g, dModel, 4 * dModel, true));
            down = child("mlp.proj", new Linear(d, g, 4 * dModel, dModel, true));
            drop = child("drop", new Dropout(dropout, g));
        }

        @Override
        public Tensor forward(Tensor x) {
            try (Scope s = Kiln.scope()) {
                Tensor n1 = norm1.forward(x);
                Tensor h = x.add(drop.forward(attention.attend(n1, n1, null, true)));
                Tensor ff = down.forward(up.forward(norm2.forward(h)).gelu());
                return s.keep(h.add(drop.forward(ff)));
            }
        }
    }
}
