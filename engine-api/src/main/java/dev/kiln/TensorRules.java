package dev.kiln;

import dev.kiln.autograd.Node;
import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.ReduceOp;
import dev.kiln.spi.UnaryOp;
import dev.kiln.spi.View;
import java.util.Arrays;

/**
 * The backward rules of {@link Tensor}'s operations. Each makes the node an op records: it saves
 * what the gradient needs and computes, from the output gradient g, one gradient per input (reduced
 * over broadcast axes to the input's shape). Rules run with grad mode off, inside the backward pass's scope.
 */
final class TensorRules {
    private TensorRules() {}

    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    private static Tensor[] one(Tensor g) { return new Tensor[] {g}; }

    private static Tensor zerosLike(Tensor t) { return t.device().zeros(t.dtype(), t.shape().dims()); }

    static Node unary(UnaryOp op, Tensor x, Tensor out) {
        String name = op.name().toLowerCase();
        return switch (op) {
            case COPY -> Graph.node(name, (g, s, n) -> one(g.copy()));
            case NEG -> Graph.node(name, (g, s, n) -> one(g.neg()));
            case ABS -> Graph.node(name, (g, s, n) -> one(g.mul(s[0].sign())), x);
            case SIGN, NOT, FLOOR, CEIL, ROUND -> Graph.node(name, (g, s, n) -> one(zerosLike(g)));
            case SQUARE -> Graph.node(name, (g, s, n) -> one(g.mul(s[0]).mul(2)), x);
            case EXP -> Graph.node(name, (g, s, n) -> one(g.mul(s[0])), out);
            case LOG -> Graph.node(name, (g, s, n) -> one(g.div(s[0])), x);
            case LOG1P -> Graph.node(name, (g, s, n) -> one(g.div(s[0].add(1))), x);
            case EXPM1 -> Graph.node(name, (g, s, n) -> one(g.mul(s[0].add(1))), out);
            case SQRT -> Graph.node(name, (g, s, n) -> one(g.div(s[0].mul(2))), out);
            case RSQRT -> Graph.node(name, (g, s, n) -> one(g.mul(s[0].pow(3)).mul(-0.5)), out);
            case RECIPROCAL -> Graph.node(name, (g, s, n) -> one(g.mul(s[0].square()).neg()), out);
            case SIN -> Graph.node(name, (g, s, n) -> one(g.mul(s[0].cos())), x);
            case COS -> Graph.node(name, (g, s, n) -> one(g.mul(s[0].sin()).neg()), x);
            case TANH -> Graph.node(name, (g, s, n) -> one(g.mul(s[0].square().neg().add(1))), out);
            case SIGMOID -> Graph.node(name, (g, s, n) -> one(g.mul(s[0]).mul(s[0].neg().add(1))), out);
            case ERF -> Graph.node(name, (g, s, n) -> one(g.mul(s[0].square().neg().exp()).mul(TWO_OVER_SQRT_PI)), x);
            case RELU -> Graph.node(name, (g, s, n) -> one(g.mul(s[0].gt(0).to(g.dtype()))), x);
            case GELU -> Graph.node(name, (g, s, n) -> {
                Tensor cdf = s[0].mul(Math.sqrt(0.5)).erf().add(1).mul(0.5);
                Tensor pdf = s[0].square().mul(-0.5).exp().mul(INV_SQRT_2PI);
                return one(g.mul(cdf.add(s[0].mul(pdf))));
            }, x);
            case GELU_TANH -> Graph.node(name, (g, s, n) -> {
                Tensor xv = s[0];
                Tensor x2 = xv.square();
                Tensor t = xv.add(xv.mul(x2).mul(0.044715)).mul(SQRT_2_OVER_PI).tanh();
                Tensor inner = x2.mul(3 * 0.044715).add(1).mul(SQRT_2_OVER_PI);
                Tensor d = t.add(1).mul(0.5).add(xv.mul(0.5).mul(t.square().neg().add(1)).mul(inner));
                return one(g.mul(d));
            }, x);
            case SILU -> Graph.node(name, (g, s, n) -> {
                Tensor sig = s[0].sigmoid();
                return one(g.mul(sig.mul(s[0].mul(sig.neg().add(1)).add(1))));
            }, x);
        };
    }

    static Node binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        Shape sa = a.shape(), sb = b.shape();
        String name = op.name().toLowerCase();
        return switch (op) {
            case ADD -> Graph.node(name, (g, s, n) -> pair(g, g, sa, sb));
            case SUB -> Graph.node(name, (g, s, n) -> pair(g, g.neg(), sa, sb));
            case MUL -> Graph.node(name, (g, s, n) -> pair(g.mul(s[1]), g.mul(s[0]), sa, sb), a, b);
            case DIV -> Graph.node(name, (g, s, n) -> pair(g.div(s[1]), g.mul(s[2]).div(s[1]).neg(), sa, sb), a, b, out);
            case MOD -> Graph.node(name, (g, s, n) -> pair(g, g.mul(s[0].div(s[1]).floor()).neg(), sa, sb), a, b);
            case POW -> Graph.node(name, (g, s, n) -> {
                Tensor da = g.mul(s[1]).mul(s[0].pow(s[1].sub(1)));
                // d/db a^b = a^b ln a, taken as 0 where a == 0 (PyTorch's choice), so 0^b stays finite
                Tensor zero = s[0].eq(0).to(g.dtype());
                Tensor safeLog = Tensor.where(zero, zero, s[0]).add(zero).log();
                Tensor db = Tensor.where(zero, zerosLike(zero), g.mul(s[2]).mul(safeLog));
                return pair(da, db, sa, sb);
            }, a, b, out);
            case MAXIMUM, MINIMUM -> Graph.node(name, (g, s, n) -> {
                // ties share the gradient equally, as torch.maximum
                Tensor wins = (op == BinaryOp.MAXIMUM ? s[0].gt(s[1]) : s[0].lt(s[1])).to(g.dtype());
                Tensor ties = s[0].eq(s[1]).to(g.dtype()).mul(0.5);
                Tensor wa = wins.add(ties);
                return pair(g.mul(wa), g.mul(wa.neg().add(1)), sa, sb);
            }, a, b);
            default -> throw new IllegalStateException("no gradient for comparison " + op);
        };
    }

    /** Input gradients of a broadcasting binary op, summed back to each input's shape. */
    private static Tensor[] pair(Tensor ga, Tensor gb, Shape sa, Shape sb) {
        return new Tensor[] {Graph.sumTo(ga, sa), Graph.sumTo(gb, sb)};
    }

    static Node where(Tensor cond, Tensor a, Tensor b) {
        Shape sa = a.shape(), sb = b.shape();
        return Graph.node("where", (g, s, n) -> {
            Tensor z = zerosLike(g);
            return pair(Tensor.where(s[0], g, z), Tensor.where(s[0], z, g), sa, sb);
        }, cond);
    }

    static Node clamp(Tensor x, double min, double max) {
        return Graph.node("clamp", (g, s, n) -> one(g.mul(s[0].ge(min).mul(s[0].le(max)).to(g.dtype()))), x);
    }

    static Node cast(DType from) { return Graph.node("to(" + from + ")", (g, s, n) -> one(g.to(from))); }

    static Node move(Device from) { return Graph.node("to(" + from + ")", (g, s, n) -> one(g.to(from))); }

    /** Reductions with keepDim: the output broadcasts back over the reduced axes. */
    static Node reduce(ReduceOp op, Tensor x, int[] axes, Tensor out) {
        int[] dims = x.shape().dims();
        return switch (op) {
            case SUM -> Graph.node("sum", (g, s, n) -> one(g.expand(dims)));
            case MAX, MIN -> Graph.node(op.name().toLowerCase(), (g, s, n) -> {
                // the gradient is shared equally among the elements that attain the extreme, as torch.amax
                Tensor hit = s[0].eq(s[1]).to(g.dtype());
                Tensor count = hit.sum(axes, true);
                return one(hit.mul(g.div(count)));
            }, x, out);
            case PROD -> Graph.node("prod", (g, s, n) -> {
                // product of the other elements without dividing by zero: by the number of zeros in the group
                Tensor isZero = s[0].eq(0).to(g.dtype());
                Tensor zeros = isZero.sum(axes, true);
                Tensor safe = Tensor.where(isZero, isZero, s[0]);
                Tensor prodNonZero = safe.prod(axes, true);
                Tensor none = zeros.eq(0).to(g.dtype());
                Tensor oneZero = zeros.eq(1).to(g.dtype());
                Tensor others = prodNonZero.div(safe).mul(none).add(prodNonZero.mul(isZero).mul(oneZero));
                return one(g.mul(others));
            }, x);
            default -> throw new IllegalStateException("no gradient for " + op);
        };
    }

    static Node matmul(Tensor a, Tensor b) {
        Shape sa = a.shape(), sb = b.shape();
        return Graph.node("matmul", (g, s, n) -> {
            // work on the promoted shapes: a 1-D left operand is a row, a 1-D right operand a column
            Tensor a2 = sa.rank() == 1 ? s[0].reshape(1, sa.dim(0)) : s[0];
            Tensor b2 = sb.rank() == 1 ? s[1].reshape(sb.dim(0), 1) : s[1];
            int[] gd = Arrays.copyOf(g.shape().dims(), g.rank() + (sa.rank() == 1 ? 1 : 0) + (sb.rank() == 1 ? 1 : 0));
            int r = g.rank();
            if (sa.rank() == 1 && sb.rank() == 1) {
                gd = new int[] {1, 1};
            } else if (sa.rank() == 1) {
                gd = insert(g.shape().dims(), r - 1, 1);
            } else if (sb.rank() == 1) {
                gd = Arrays.copyOf(g.shape().dims(), r + 1);
                gd[r] = 1;
            }
            Tensor g2 = g.reshape(gd);
            Tensor ga = Graph.sumTo(g2.matmul(b2.transpose(-1, -2)), a2.shape()).reshape(sa.dims());
            Tensor gb = Graph.sumTo(a2.transpose(-1, -2).matmul(g2), b2.shape()).reshape(sb.dims());
            return new Tensor[] {ga, gb};
        }, a, b);
    }

    private static int[] insert(int[] d, int at, int v) {
        int[] out = new int[d.length + 1];
        for (int i = 0, j = 0; i < out.length; i++) out[i] = i == at ? v : d[j++];
        return out;
    }

    static Node reshape(Shape from) { return Graph.node("reshape", (g, s, n) -> one(g.reshape(from.dims()))); }

    static Node permute(int[] order) {
        int[] inverse = new int[order.length];
        for (int i = 0; i < order.length; i++) inverse[order[i]] = i;
        return Graph.node("permute", (g, s, n) -> one(g.permute(inverse)));
    }

    static Node sumTo(String name, Shape target) { return Graph.node(name, (g, s, n) -> one(Graph.sumTo(g, target))); }

    /** The slice's gradient, written into zeros of the input's shape at the sliced positions. */
    static Node slice(Shape input, int axis, int start, int step) {
        return Graph.node("slice", (g, s, n) -> {
            Tensor out = g.device().zeros(g.dtype(), input.dims());
            if (g.numel() > 0) {
                View v = out.view();
                long[] st = v.strides().clone();
                long off = v.offset() + (long) start * st[axis];
                st[axis] *= step;
                g.device().backend().unary(UnaryOp.COPY, g.view(), new View(v.buffer(), v.dtype(), off, g.shape().dims(), st));
            }
            return one(out);
        });
    }

    static Node concat(Tensor[] parts, int axis) {
        int[] sizes = Arrays.stream(parts).mapToInt(p -> p.dim(axis)).toArray();
        return Graph.node("concat", (g, s, n) -> g.split(sizes, axis).toArray(Tensor[]::new));
    }

    static Node gather(Tensor x, int axis, Tensor index) {
        int[] dims = x.shape().dims();
        return Graph.node("gather", (g, s, n) -> {
            try (Tensor z = g.device().zeros(g.dtype(), dims)) {
                return one(z.scatterAdd(axis, s[0], g));
            }
        }, index);
    }

    static Node indexSelect(Tensor x, int axis, Tensor index) {
        int[] dims = x.shape().dims();
        return Graph.node("indexSelect", (g, s, n) -> {
            try (Tensor z = g.device().zeros(g.dtype(), dims)) {
                return one(z.indexAdd(axis, s[0], g));
            }
        }, index);
    }

    static Node scatterAdd(int axis, Tensor index, Shape src) {
        return Graph.node("scatterAdd", (g, s, n) -> {
            Tensor picked = g.gather(axis, s[0]);
            return new Tensor[] {g.copy(), padTo(picked, src)};
        }, index);
    }

    static Node indexAdd(int axis, Tensor index) {
        return Graph.node("indexAdd", (g, s, n) -> new Tensor[] {g.copy(), g.indexSelect(axis, s[0])}, index);
    }

    /** {@code t} in the leading corner of zeros of {@code target} (the positions an index did not cover get no gradient). */
    private static Tensor padTo(Tensor t, Shape target) {
        if (t.shape().equals(target)) return t;
        Tensor out = t.device().zeros(t.dtype(), target.dims());
        if (t.numel() > 0) {
            View v = out.view();
            t.device().backend().unary(UnaryOp.COPY, t.view(), new View(v.buffer(), v.dtype(), v.offset(), t.shape().dims(), v.strides()));
        }
        return out;
    }
}
