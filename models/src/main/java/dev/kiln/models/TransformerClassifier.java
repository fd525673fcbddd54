package dev.kiln.models;

import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Scope;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Embedding;
import dev.kiln.nn.LayerNorm;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.TransformerEncoderLayer;

/**
 * A Transformer encoder classifier in the shape of BERT-base (Devlin et al., "BERT: Pre-training of
 * Deep Bidirectional Transformers for Language Understanding", NAACL 2019): word and learned position
 * embeddings, embedding layer norm, 12 post-norm encoder layers (768 wide, 12 heads, GELU feed-forward
 * 3072, layer-norm eps 1e-12), a tanh pooler on the first token, and a linear classifier. Everything is
 * configurable. Parameters: embeddings.{word_embeddings,position_embeddings,LayerNorm}.*, encoder.{i}.* (torch.nn.TransformerEncoderLayer names),
 * pooler.*, classifier.*.
 */
public final class TransformerClassifier extends Module {
    private final Embedding words, positions;
    private final LayerNorm embedNorm;
    private final Dropout embedDrop;
    private final Sequential encoder;
    private final Linear pooler, classifier;
    private final int maxLen;

    private TransformerClassifier(Builder b) {
        Device d = b.device;
        Generator g = new Generator(b.seed);
        maxLen = b.maxLen;
        Embeddings embeddings = child("embeddings", new Embeddings());
        words = embeddings.add("word_embeddings", new Embedding(d, g, b.vocab, b.dModel));
        positions = embeddings.add("position_embeddings", new Embedding(d, g, b.maxLen, b.dModel));
        embedNorm = embeddings.add("LayerNorm", new LayerNorm(d, 1e-12, b.dModel));
        embedDrop = embeddings.add("dropout", new Dropout(b.dropout, g));
        encoder = child("encoder", new Sequential());
        for (int i = 0; i < b.layers; i++) {
            encoder.add(new TransformerEncoderLayer(d, g, b.dModel, b.heads, b.dimFeedforward, b.dropout, true, 1e-12, false));
        }
        pooler = child("pooler", new Linear(d, g, b.dModel, b.dModel, true));
        classifier = child("classifier", new Linear(d, g, b.dModel, b.numClasses, true));
    }

    /** Holds the embedding layers under BERT's names; {@link TransformerClassifier#forward} runs them. */
    private static final class Embeddings extends Module {
        <M extends Module> M add(String name, M m) { return child(name, m); }

        @Override
        public Tensor forward(Tensor x) { throw new dev.kiln.KilnException("embeddings run inside TransformerClassifier.forward"); }
    }

    public static Builder builder(Device device) { return new Builder(device); }

    @Override
    public Tensor forward(Tensor ids) { return forward(ids, null); }

    /** Token ids [N, T] (I64), padding mask [N, T] (nonzero = padding) or null: logits [N, classes]. */
    public Tensor forward(Tensor ids, Tensor paddingMask) {
        if (ids.rank() != 2 || ids.dim(1) > maxLen) {
            throw new ShapeException("TransformerClassifier: expected token ids [N, T <= " + maxLen + "], got " + ids.shape());
        }
        try (Scope s = Kiln.scope()) {
            Tensor pos = ids.device().arange(ids.dim(1));
            Tensor h = embedDrop.forward(embedNorm.forward(words.forward(ids).add(positions.forward(pos))));
            for (int i = 0; i < encoder.size(); i++) h = ((TransformerEncoderLayer) encoder.get(i)).forward(h, paddingMask);
            Tensor first = h.narrow(1, 0, 1).reshape(ids.dim(0), -1);
            return s.keep(classifier.forward(pooler.forward(first).tanh()));
        }
    }

    public static final class Builder {
        private final Device device;
        private int vocab = 30522, maxLen = 512, dModel = 768, heads = 12, layers = 12, dimFeedforward = 3072, numClasses = 2;
        private double dropout = 0.1;
        private long seed = 0;

        private Builder(Device device) { this.device = device; }

        public Builder vocab(int v) { vocab = v; return this; }

        public Builder maxLen(int n) { maxLen = n; return this; }

        public Builder dModel(int dm) { dModel = dm; return this; }

        public Builder heads(int h) { heads = h; return this; }

        public Builder layers(int l) { layers = l; return this; }

        public Builder dimFeedforward(int f) { dimFeedforward = f; return this; }

        public Builder numClasses(int n) { numClasses = n; return this; }

        public Builder dropout(double p) { dropout = p; return this; }

        public Builder seed(long s) { seed = s; return this; }

        public TransformerClassifier build() { return new TransformerClassifier(this); }
    }
}
