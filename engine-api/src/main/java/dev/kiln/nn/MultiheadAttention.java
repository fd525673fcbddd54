package dev.kiln.nn;

import dev.kiln.AttentionResult;
import dev.kiln.Device;
import dev.kiln.Functional;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Scope;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;

/**
 * {@code torch.nn.MultiheadAttention} with batch-first inputs [N, T, E]: parameters
 * {@code in_proj_weight [3E, E]}, {@code in_proj_bias [3E]}, {@code out_proj.weight}, {@code out_proj.bias}
 * (xavier-uniform projections and zero biases, as PyTorch initializes them).
 */
public final class MultiheadAttention extends Module {
    private final int embed, heads;

    public MultiheadAttention(Device d, Generator g, int embed, int heads) {
        if (embed % heads != 0) throw new ShapeException("MultiheadAttention: embed dim " + embed + " does not divide by " + heads + " heads");
        this.embed = embed;
        this.heads = heads;
        parameter("in_proj_weight", Init.uniform(d, g, Math.sqrt(6.0 / (embed + 3 * embed)), 3 * embed, embed));
        parameter("in_proj_bias", d.zeros(3 * embed));
        Linear out = child("out_proj", new Linear(d, g, embed, embed, true));
        out.tensor("bias").fill(0);
    }

    /** Self-attention on x [N, T, E]. */
    @Override
    public Tensor forward(Tensor x) { return attend(x, x, null, false); }

    /**
     * Attention of query [N, Tq, E] over memory [N, Tk, E]; {@code keyPaddingMask} [N, Tk] (nonzero = padding,
     * ignored) or null; {@code causal} hides later positions.
     */
    public Tensor attend(Tensor query, Tensor memory, Tensor keyPaddingMask, boolean causal) {
        if (query.rank() != 3 || query.dim(2) != embed || memory.rank() != 3 || memory.dim(2) != embed || memory.dim(0) != query.dim(0)) {
            throw new ShapeException("MultiheadAttention: expected query [N, Tq, " + embed + "] and memory [N, Tk, " + embed + "], got "
                    + query.shape() + " and " + memory.shape());
        }
        int n = query.dim(0), tq = query.dim(1), tk = memory.dim(1), hd = embed / heads;
        try (Scope s = Kiln.scope()) {
            Tensor w = tensor("in_proj_weight"), b = tensor("in_proj_bias");
            Tensor q = Functional.linear(query, w.narrow(0, 0, embed), b.narrow(0, 0, embed));
            Tensor k = Functional.linear(memory, w.narrow(0, embed, embed), b.narrow(0, embed, embed));
            Tensor v = Functional.linear(memory, w.narrow(0, 2 * embed, embed), b.narrow(0, 2 * embed, embed));
            Tensor qh = q.reshape(n, tq, heads, hd).transpose(1, 2);
            Tensor kh = k.reshape(n, tk, heads, hd).transpose(1, 2);
            Tensor vh = v.reshape(n, tk, heads, hd).transpose(1, 2);
            Tensor mask = null;
            if (keyPaddingMask != null) {
                if (!keyPaddingMask.shape().equals(dev.kiln.Shape.of(n, tk))) {
                    throw new ShapeException("MultiheadAttention: key padding mask " + keyPaddingMask.shape() + ", expected [" + n + ", " + tk + "]");
                }
                Tensor pad = keyPaddingMask.to(dev.kiln.DType.F32).ne(0).reshape(n, 1, 1, tk);
                mask = Tensor.where(pad, query.device().scalar(Double.NEGATIVE_INFINITY), query.device().scalar(0));
            }
            AttentionResult a = Functional.attention(qh, kh, vh, mask, causal, 1 / Math.sqrt(hd));
            a.logSumExp().close();
            Tensor merged = a.out().transpose(1, 2).reshape(n, tq, embed);
            a.out().close();
            return s.keep(((Linear) children().get("out_proj")).forward(merged));
        }
    }
}
