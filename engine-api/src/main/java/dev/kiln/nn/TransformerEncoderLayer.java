package dev.kiln.nn;

import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Scope;
import dev.kiln.Tensor;

/**
 * {@code torch.nn.TransformerEncoderLayer(batch_first=True)}: self-attention and a feed-forward block,
 * each with dropout and a residual connection, layer norm after each (post-norm, the default) or
 * before each ({@code normFirst}). Children: self_attn, linear1, dropout, linear2, norm1, norm2,
 * dropout1, dropout2 (the dropouts hold no parameters).
 */
public final class TransformerEncoderLayer extends Module {
    private final boolean normFirst, gelu;
    private final MultiheadAttention selfAttn;
    private final Linear linear1, linear2;
    private final LayerNorm norm1, norm2;
    private final Dropout dropout, dropout1, dropout2;

    public TransformerEncoderLayer(Device d, Generator g, int dModel, int heads, int dimFeedforward, double dropoutP,
                                   boolean gelu, double layerNormEps, boolean normFirst) {
        this.normFirst = normFirst;
        this.gelu = gelu;
        selfAttn = child("self_attn", new MultiheadAttention(d, g, dModel, heads));
        linear1 = child("linear1", new Linear(d, g, dModel, dimFeedforward, true));
        dropout = child("dropout", new Dropout(dropoutP, g));
        linear2 = child("linear2", new Linear(d, g, dimFeedforward, dModel, true));
        norm1 = child("norm1", new LayerNorm(d, layerNormEps, dModel));
        norm2 = child("norm2", new LayerNorm(d, layerNormEps, dModel));
        dropout1 = child("dropout1", new Dropout(dropoutP, g));
        dropout2 = child("dropout2", new Dropout(dropoutP, g));
    }

    @Override
    public Tensor forward(Tensor x) { return forward(x, null); }

    /** x [N, T, E]; keyPaddingMask [N, T] (nonzero = padding) or null. */
    public Tensor forward(Tensor x, Tensor keyPaddingMask) {
        try (Scope s = Kiln.scope()) {
            Tensor h;
            if (normFirst) {
                Tensor n1 = norm1.forward(x);
                h = x.add(dropout1.forward(selfAttn.attend(n1, n1, keyPaddingMask, false)));
                h = h.add(dropout2.forward(feedForward(norm2.forward(h))));
            } else {
                h = norm1.forward(x.add(dropout1.forward(selfAttn.attend(x, x, keyPaddingMask, false))));
                h = norm2.forward(h.add(dropout2.forward(feedForward(h))));
            }
            return s.keep(h);
        }
    }

    private Tensor feedForward(Tensor x) { return Layers.feedForward(linear1, dropout, linear2, gelu, x); }
}
