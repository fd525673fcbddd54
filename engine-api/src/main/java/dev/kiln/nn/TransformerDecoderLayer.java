package dev.kiln.nn;

import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Scope;
import dev.kiln.Tensor;

/**
 * {@code torch.nn.TransformerDecoderLayer(batch_first=True)}: causal self-attention, attention over the
 * encoder's memory, and a feed-forward block, post-norm by default or pre-norm. Children: self_attn,
 * multihead_attn, linear1, dropout, linear2, norm1, norm2, norm3, dropout1..3.
 */
public final class TransformerDecoderLayer extends Module {
    private final boolean normFirst, gelu;
    private final MultiheadAttention selfAttn, crossAttn;
    private final Linear linear1, linear2;
    private final LayerNorm norm1, norm2, norm3;
    private final Dropout dropout, dropout1, dropout2, dropout3;

    public TransformerDecoderLayer(Device d, Generator g, int dModel, int heads, int dimFeedforward, double dropoutP,
                                   boolean gelu, double layerNormEps, boolean normFirst) {
        this.normFirst = normFirst;
        this.gelu = gelu;
        selfAttn = child("self_attn", new MultiheadAttention(d, g, dModel, heads));
        crossAttn = child("multihead_attn", new MultiheadAttention(d, g, dModel, heads));
        linear1 = child("linear1", new Linear(d, g, dModel, dimFeedforward, true));
        dropout = child("dropout", new Dropout(dropoutP, g));
        linear2 = child("linear2", new Linear(d, g, dimFeedforward, dModel, true));
        norm1 = child("norm1", new LayerNorm(d, layerNormEps, dModel));
        norm2 = child("norm2", new LayerNorm(d, layerNormEps, dModel));
        norm3 = child("norm3", new LayerNorm(d, layerNormEps, dModel));
        dropout1 = child("dropout1", new Dropout(dropoutP, g));
        dropout2 = child("dropout2", new Dropout(dropoutP, g));
        dropout3 = child("dropout3", new Dropout(dropoutP, g));
    }

    /** Needs the encoder memory: use {@link #forward(Tensor, Tensor, Tensor)}. */
    @Override
    public Tensor forward(Tensor x) {
        throw new dev.kiln.KilnException("TransformerDecoderLayer: forward needs the encoder memory; call forward(target, memory, memoryPaddingMask)");
    }

    /** target [N, T, E] attends causally to itself and to memory [N, S, E]; memoryPaddingMask [N, S] or null. */
    public Tensor forward(Tensor target, Tensor memory, Tensor memoryPaddingMask) {
        try (Scope s = Kiln.scope()) {
            Tensor h;
            if (normFirst) {
                Tensor n1 = norm1.forward(target);
                h = target.add(dropout1.forward(selfAttn.attend(n1, n1, null, true)));
                h = h.add(dropout2.forward(crossAttn.attend(norm2.forward(h), memory, memoryPaddingMask, false)));
                h = h.add(dropout3.forward(feedForward(norm3.forward(h))));
            } else {
                h = norm1.forward(target.add(dropout1.forward(selfAttn.attend(target, target, null, true))));
                h = norm2.forward(h.add(dropout2.forward(crossAttn.attend(h, memory, memoryPaddingMask, false))));
                h = norm3.forward(h.add(dropout3.forward(feedForward(h))));
            }
            return s.keep(h);
        }
    }

    private Tensor feedForward(Tensor x) { return Layers.feedForward(linear1, dropout, linear2, gelu, x); }
}
