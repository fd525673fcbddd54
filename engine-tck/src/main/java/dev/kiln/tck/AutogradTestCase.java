package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Conv2dParams;
import dev.kiln.DType;
import dev.kiln.DropoutResult;
import dev.kiln.Functional;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.LrnParams;
import dev.kiln.NormResult;
import dev.kiln.Pool2dParams;
import dev.kiln.Reduction;
import dev.kiln.RnnParams;
import dev.kiln.RnnResult;
import dev.kiln.Scope;
import dev.kiln.Tensor;
import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.AutogradException;
import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.UnaryOp;
import dev.kiln.tck.ref.AttentionReference;
import dev.kiln.tck.ref.Broadcast;
import dev.kiln.tck.ref.ConvReference;
import dev.kiln.tck.ref.ElementwiseRef;
import dev.kiln.tck.ref.Layout;
import dev.kiln.tck.ref.LossReference;
import dev.kiln.tck.ref.MatmulRef;
import dev.kiln.tck.ref.NormReference;
import dev.kiln.tck.ref.NumericGradient;
import dev.kiln.tck.ref.PoolReference;
import dev.kiln.tck.ref.Reductions;
import dev.kiln.tck.ref.RnnReference;
import dev.kiln.tck.ref.SoftmaxReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reverse-mode autograd: every differentiable op's gradient, through {@code backward()}, against
 * central finite differences of the float64 reference forward ({@code L = sum(G * f(x))} with a random
 * G), plus broadcasting, accumulation, no-grad scopes, detach, memory release and misuse errors.
 * Gradients compare under {@link #gradTolerance()}: an F32 backward against float64 differences.
 */
public abstract class AutogradTestCase extends KilnTestCase {

    /** Relative L2 error allowed for a gradient: F32 forward and backward arithmetic against float64 differences. */
    protected double gradTolerance() { return 10 * tolerance(); }

    /** f applied to device inputs, the float64 reference of the same function. */
    protected interface DeviceFn extends Function<List<Tensor>, Tensor> {}

    protected interface HostFn extends Function<List<HostTensor>, HostTensor> {}

    /**
     * Uploads {@code inputs} as leaves that require grad, runs f, backpropagates a random G and compares
     * every input's gradient with the central differences of {@code ref}; the forward is compared too.
     */
    protected final void gradcheck(String what, List<HostTensor> inputs, DeviceFn f, HostFn ref) {
        List<Tensor> leaves = new ArrayList<>();
        for (HostTensor h : inputs) leaves.add(upload(h).requiresGrad(true));
        Tensor y = track(f.apply(leaves));
        HostTensor expected = ref.apply(inputs);
        assertClose(what + " forward", expected, y, tolerance() * 10);
        assertTrue(y.requiresGrad(), what + ": the result of an op on tensors that require grad must require grad");
        HostTensor g = randn(expected.shape);
        y.backward(upload(g));
        for (int i = 0; i < inputs.size(); i++) {
            HostTensor x = inputs.get(i);
            double[] numeric = NumericGradient.of(() -> ref.apply(inputs).data, x.data, g.data);
            Tensor grad = leaves.get(i).grad();
            assertNotNull(grad, what + ": input " + i + " got no gradient (" + seedNote() + ")");
            assertClose(what + " grad of input " + i, new HostTensor(numeric, x.shape), grad, gradTolerance());
        }
    }

    private HostTensor positive(int... shape) { return HostTensor.uniform(rnd, 0.5, 2, shape); }

    // ---- elementwise ----

    static Stream<UnaryOp> unaryOps() { return Arrays.stream(UnaryOp.values()).filter(op -> op != UnaryOp.NOT); }

    @ParameterizedTest
    @MethodSource("unaryOps")
    void unaryGradient(UnaryOp op) {
        boolean needsPositive = switch (op) {
            case LOG, LOG1P, SQRT, RSQRT, RECIPROCAL -> true;
            default -> false;
        };
        HostTensor x = needsPositive ? positive(3, 7) : randn(3, 7);
        if (op == UnaryOp.FLOOR || op == UnaryOp.CEIL || op == UnaryOp.ROUND) x = x.map(v -> Math.floor(v) + 0.25);
        gradcheck(op.name(), List.of(x), in -> in.get(0).apply(op), in -> in.get(0).map(v -> ElementwiseRef.unary(op, v)));
    }

    static Stream<Arguments> binaryCases() {
        int[][][] shapes = {{{3, 4}, {3, 4}}, {{3, 4}, {4}}, {{2, 1, 4}, {3, 1}}, {{1}, {5}}, {{7}, {1}}};
        List<Arguments> out = new ArrayList<>();
        for (BinaryOp op : List.of(BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV, BinaryOp.POW, BinaryOp.MAXIMUM, BinaryOp.MINIMUM)) {
            for (int[][] s : shapes) out.add(Arguments.of(op, s[0], s[1]));
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("binaryCases")
    void binaryGradientWithBroadcasting(BinaryOp op, int[] shapeA, int[] shapeB) {
        HostTensor a = op == BinaryOp.POW ? positive(shapeA) : randn(shapeA);
        HostTensor b = op == BinaryOp.DIV ? positive(shapeB).map(v -> rnd.nextBoolean() ? v : -v) : randn(shapeB);
        gradcheck(op + " " + Arrays.toString(shapeA) + " " + Arrays.toString(shapeB), List.of(a, b),
                in -> in.get(0).apply(op, in.get(1)), in -> Broadcast.binary(in.get(0), in.get(1), (p, q) -> ElementwiseRef.binary(op, p, q)));
    }

    @Test
    void modGradient() {
        HostTensor b = HostTensor.uniform(rnd, 1, 2, 4, 5);
        HostTensor a = new HostTensor(b.data.clone(), 4, 5);
        for (int i = 0; i < a.data.length; i++) a.data[i] = (float) ((rnd.nextInt(5) - 2) * b.data[i] + (0.1 + 0.8 * rnd.nextDouble()) * b.data[i]);
        gradcheck("mod", List.of(a, b), in -> in.get(0).mod(in.get(1)),
                in -> Broadcast.binary(in.get(0), in.get(1), (p, q) -> ElementwiseRef.binary(BinaryOp.MOD, p, q)));
    }

    @Test
    void scalarOperandsAndChains() {
        HostTensor x = randn(2, 3, 5);
        gradcheck("(x * 3 - 1) / 2 + x^2", List.of(x), in -> {
            try (Tensor a = in.get(0).mul(3); Tensor b = a.sub(1); Tensor c = b.div(2); Tensor d = in.get(0).square()) {
                return c.add(d);
            }
        }, in -> in.get(0).map(v -> (v * 3 - 1) / 2 + v * v));
    }

    @Test
    void whereGradient() {
        HostTensor c = HostTensor.randint(rnd, 0, 2, 3, 1);
        HostTensor a = randn(3, 4), b = randn(4);
        Tensor cond = upload(c);
        gradcheck("where", List.of(a, b), in -> Tensor.where(cond, in.get(0), in.get(1)),
                in -> Broadcast.ternary(c, in.get(0), in.get(1), (p, q, r) -> p != 0 ? q : r));
    }

    @Test
    void clampGradient() {
        HostTensor x = randn(5, 7);
        gradcheck("clamp", List.of(x), in -> in.get(0).clamp(-0.5, 0.7), in -> in.get(0).map(v -> Math.min(0.7, Math.max(-0.5, v))));
    }

    // ---- reductions ----

    static Stream<Arguments> reductionCases() {
        return Stream.of(Arguments.of(new int[] {}, false), Arguments.of(new int[] {1}, false), Arguments.of(new int[] {0, 2}, true),
                Arguments.of(new int[] {-1}, true));
    }

    @ParameterizedTest
    @MethodSource("reductionCases")
    void sumMeanMaxMinProdVarGradients(int[] axes, boolean keepDim) {
        String w = Arrays.toString(axes) + (keepDim ? " keepDim" : "");
        int[] ax = axes.length == 0 ? new int[] {0, 1, 2} : Arrays.stream(axes).map(a -> a < 0 ? a + 3 : a).toArray();
        gradcheck("sum " + w, List.of(randn(3, 4, 5)), in -> in.get(0).sum(axes, keepDim), in -> Reductions.reduce(in.get(0), ax, keepDim, Reductions::sum));
        gradcheck("mean " + w, List.of(randn(3, 4, 5)), in -> in.get(0).mean(axes, keepDim), in -> Reductions.reduce(in.get(0), ax, keepDim, Reductions::mean));
        gradcheck("max " + w, List.of(randn(3, 4, 5)), in -> in.get(0).max(axes, keepDim), in -> Reductions.reduce(in.get(0), ax, keepDim, Reductions::max));
        gradcheck("min " + w, List.of(randn(3, 4, 5)), in -> in.get(0).min(axes, keepDim), in -> Reductions.reduce(in.get(0), ax, keepDim, Reductions::min));
        gradcheck("prod " + w, List.of(HostTensor.uniform(rnd, 0.5, 1.5, 3, 4, 5)), in -> in.get(0).prod(axes, keepDim),
                in -> Reductions.reduce(in.get(0), ax, keepDim, Reductions::prod));
        gradcheck("var " + w, List.of(randn(3, 4, 5)), in -> in.get(0).var(axes, 1, keepDim), in -> Reductions.reduce(in.get(0), ax, keepDim, g -> Reductions.var(g, 1)));
    }

    @Test
    void prodGradientWithZeros() {
        HostTensor x = HostTensor.uniform(rnd, 0.5, 1.5, 4, 3);
        x.set(0, 0, 1);             // row 0: one zero, its gradient is the product of the others
        x.set(0, 1, 0);
        x.set(0, 1, 2);             // row 1: two zeros, every gradient is 0
        Tensor leaf = upload(x).requiresGrad(true);
        Tensor y = track(leaf.prod(new int[] {1}, false));
        HostTensor g = randn(4);
        y.backward(upload(g));
        double[] expected = new double[12];
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 3; c++) {
                double others = 1;
                for (int k = 0; k < 3; k++) if (k != c) others *= x.get(r, k);
                expected[r * 3 + c] = g.data[r] * others;
            }
        }
        assertClose("prod grad with zeros", new HostTensor(expected, 4, 3), leaf.grad());
    }

    // ---- matrix product ----

    static Stream<Arguments> matmulShapes() {
        return Stream.of(Arguments.of(new int[] {3, 4}, new int[] {4, 5}), Arguments.of(new int[] {4}, new int[] {4, 5}),
                Arguments.of(new int[] {3, 4}, new int[] {4}), Arguments.of(new int[] {4}, new int[] {4}),
                Arguments.of(new int[] {2, 3, 4}, new int[] {4, 5}), Arguments.of(new int[] {2, 1, 3, 4}, new int[] {3, 4, 2}),
                Arguments.of(new int[] {1, 7}, new int[] {7, 1}));
    }

    @ParameterizedTest
    @MethodSource("matmulShapes")
    void matmulGradient(int[] sa, int[] sb) {
        gradcheck("matmul " + Arrays.toString(sa) + " @ " + Arrays.toString(sb), List.of(randn(sa), randn(sb)),
                in -> in.get(0).matmul(in.get(1)), in -> MatmulRef.matmul(in.get(0), in.get(1)));
    }

    // ---- shape and indexing ----

    @Test
    void shapeOpGradients() {
        gradcheck("reshape", List.of(randn(3, 4)), in -> in.get(0).reshape(2, 6), in -> new HostTensor(in.get(0).data.clone(), 2, 6));
        gradcheck("flatten", List.of(randn(2, 3, 2)), in -> in.get(0).flatten(1, 2), in -> new HostTensor(in.get(0).data.clone(), 2, 6));
        gradcheck("unsqueeze", List.of(randn(3, 4)), in -> in.get(0).unsqueeze(1), in -> new HostTensor(in.get(0).data.clone(), 3, 1, 4));
        gradcheck("permute", List.of(randn(2, 3, 4)), in -> in.get(0).permute(2, 0, 1), in -> Layout.permute(in.get(0), 2, 0, 1));
        gradcheck("transpose", List.of(randn(3, 5)), in -> in.get(0).transpose(0, 1), in -> Layout.permute(in.get(0), 1, 0));
        gradcheck("expand", List.of(randn(3, 1)), in -> in.get(0).expand(2, 3, 4), in -> Broadcast.expand(in.get(0), new int[] {2, 3, 4}));
        gradcheck("slice step 2", List.of(randn(3, 7)), in -> in.get(0).slice(1, 1, 7, 2), in -> Layout.slice(in.get(0), 1, 1, 7, 2));
        gradcheck("slice of rows (shared)", List.of(randn(5, 3)), in -> in.get(0).slice(0, 1, 4, 1), in -> Layout.slice(in.get(0), 0, 1, 4, 1));
        gradcheck("narrow", List.of(randn(4, 6)), in -> in.get(0).narrow(1, 2, 3), in -> Layout.slice(in.get(0), 1, 2, 5, 1));
    }

    @Test
    void concatStackSplitGradients() {
        gradcheck("concat", List.of(randn(2, 3), randn(2, 1), randn(2, 4)), in -> Tensor.concat(in, 1), in -> Layout.concat(in, 1));
        gradcheck("stack", List.of(randn(2, 3), randn(2, 3)), in -> Tensor.stack(in, 1), in -> {
            HostTensor a = new HostTensor(in.get(0).data, 2, 1, 3), b = new HostTensor(in.get(1).data, 2, 1, 3);
            return Layout.concat(List.of(a, b), 1);
        });
        gradcheck("split (second piece)", List.of(randn(3, 7)), in -> {
            List<Tensor> parts = in.get(0).split(new int[] {2, 4, 1}, 1);
            parts.get(0).close();
            parts.get(2).close();
            return parts.get(1);
        }, in -> Layout.slice(in.get(0), 1, 2, 6, 1));
    }

    @Test
    void splitPiecesSumBack() {
        HostTensor x = randn(4, 6);
        gradcheck("chunk pieces recombined", List.of(x), in -> {
            List<Tensor> parts = in.get(0).chunk(3, 1);
            try (Tensor a = parts.get(0).mul(2); Tensor b = parts.get(2).mul(parts.get(1))) {
                parts.forEach(Tensor::close);
                return a.add(b);
            }
        }, in -> {
            HostTensor h = in.get(0);
            double[] out = new double[8];
            for (int r = 0; r < 4; r++) for (int c = 0; c < 2; c++) out[r * 2 + c] = 2 * h.get(r, c) + h.get(r, c + 4) * h.get(r, c + 2);
            return new HostTensor(out, 4, 2);
        });
    }

    @Test
    void indexingGradients() {
        HostTensor gi = HostTensor.randint(rnd, 0, 5, 3, 4);
        Tensor gIndex = track(gi.to(device(), DType.I64));
        gradcheck("gather (repeated indices)", List.of(randn(3, 5)), in -> in.get(0).gather(1, gIndex), in -> Layout.gather(in.get(0), 1, gi));
        HostTensor si = new HostTensor(new double[] {4, 0, 4, 2, 1}, 5);
        Tensor sIndex = track(si.to(device(), DType.I64));
        gradcheck("indexSelect (embedding rows)", List.of(randn(6, 3)), in -> in.get(0).indexSelect(0, sIndex), in -> Layout.indexSelect(in.get(0), 0, si));
        HostTensor ci = HostTensor.randint(rnd, 0, 4, 2, 3);
        Tensor cIndex = track(ci.to(device(), DType.I64));
        gradcheck("scatterAdd", List.of(randn(4, 3), randn(3, 3)), in -> in.get(0).scatterAdd(0, cIndex, in.get(1)),
                in -> Layout.scatterAdd(in.get(0), 0, ci, in.get(1)));
        HostTensor ai = new HostTensor(new double[] {1, 1, 0}, 3);
        Tensor aIndex = track(ai.to(device(), DType.I64));
        gradcheck("indexAdd", List.of(randn(2, 4), randn(2, 3)), in -> in.get(0).indexAdd(1, aIndex, in.get(1)),
                in -> Layout.indexAdd(in.get(0), 1, ai, in.get(1)));
    }

    @Test
    void dtypeConversionPassesTheGradientBack() {
        DType other = device().backend().dtypes().contains(DType.F16) ? DType.F16 : device().backend().dtypes().contains(DType.BF16) ? DType.BF16 : null;
        org.junit.jupiter.api.Assumptions.assumeTrue(other != null, "device stores no 16-bit float type");
        Tensor x = upload(randn(3, 5)).requiresGrad(true);
        Tensor half = track(x.to(other));
        assertTrue(half.requiresGrad());
        HostTensor g = randn(3, 5);
        try (Tensor g32 = g.to(device()); Tensor gHalf = g32.to(other); Tensor back = gHalf.to(DType.F32)) {
            half.backward(gHalf);
            assertEquals(DType.F32, x.grad().dtype());
            assertExact("to(" + other + ") gradient", HostTensor.of(back).data, x.grad());
        }
    }

    // ---- neural-network ops ----

    @Test
    void linearGradient() {
        gradcheck("linear", List.of(randn(2, 3, 5), randn(4, 5), randn(4)), in -> Functional.linear(in.get(0), in.get(1), in.get(2)),
                in -> new HostTensor(ConvReference.linear(new HostTensor(in.get(0).data, 6, 5), in.get(1), in.get(2)).data, 2, 3, 4));
        gradcheck("linear without bias", List.of(randn(7), randn(3, 7)), in -> Functional.linear(in.get(0), in.get(1), null),
                in -> new HostTensor(ConvReference.linear(new HostTensor(in.get(0).data, 1, 7), in.get(1), null).data, 3));
    }

    static Stream<Arguments> convCases() {
        return Stream.of(Arguments.of("3x3 pad 1", new int[] {2, 3, 5, 5}, new int[] {4, 3, 3, 3}, new Conv2dParams(1, 1, 1, 1, 1, 1, 1)),
                Arguments.of("stride 2 groups 2", new int[] {1, 4, 7, 6}, new int[] {6, 2, 3, 2}, new Conv2dParams(2, 2, 1, 0, 1, 1, 2)),
                Arguments.of("dilation 2", new int[] {1, 2, 7, 7}, new int[] {3, 2, 3, 3}, new Conv2dParams(1, 1, 0, 0, 2, 2, 1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convCases")
    void conv2dGradient(String name, int[] xs, int[] ws, Conv2dParams p) {
        int[] geo = {p.strideH(), p.strideW(), p.padH(), p.padW(), p.dilationH(), p.dilationW(), p.groups()};
        gradcheck("conv2d " + name, List.of(randn(xs), randn(ws), randn(ws[0])), in -> Functional.conv2d(in.get(0), in.get(1), in.get(2), p),
                in -> ConvReference.conv2d(in.get(0), in.get(1), in.get(2), geo));
    }

    @Test
    void poolingGradients() {
        Pool2dParams max = new Pool2dParams(3, 2, 2, 1, 1, 0, false, true);
        int[] mg = {3, 2, 2, 1, 1, 0};
        gradcheck("maxPool2d", List.of(distinct(2, 2, 7, 6)), in -> Functional.maxPool2d(in.get(0), max), in -> PoolReference.maxPool(in.get(0), mg, false));
        Pool2dParams avg = new Pool2dParams(2, 2, 2, 2, 1, 1, true, false);
        int[] ag = {2, 2, 2, 2, 1, 1};
        gradcheck("avgPool2d", List.of(randn(1, 3, 5, 5)), in -> Functional.avgPool2d(in.get(0), avg), in -> PoolReference.avgPool(in.get(0), ag, true, false));
        gradcheck("adaptiveAvgPool2d", List.of(randn(2, 2, 5, 7)), in -> Functional.adaptiveAvgPool2d(in.get(0), 3, 2),
                in -> PoolReference.adaptiveAvgPool(in.get(0), 3, 2));
    }

    /** Values far enough apart that a finite-difference step never changes which element is the maximum. */
    private HostTensor distinct(int... shape) {
        HostTensor h = HostTensor.zeros(shape);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < h.numel(); i++) order.add(i);
        java.util.Collections.shuffle(order, rnd);
        for (int i = 0; i < h.numel(); i++) h.data[i] = order.get(i) * 0.01f;
        return h;
    }

    @Test
    void softmaxGradients() {
        gradcheck("softmax", List.of(randn(3, 7)), in -> Functional.softmax(in.get(0), 1), in -> SoftmaxReference.softmax(in.get(0), 1));
        gradcheck("logSoftmax axis 0", List.of(randn(4, 3)), in -> Functional.logSoftmax(in.get(0), 0), in -> SoftmaxReference.logSoftmax(in.get(0), 0));
    }

    @Test
    void layerNormGradient() {
        gradcheck("layerNorm", List.of(randn(3, 2, 5), randn(2, 5), randn(2, 5)), in -> {
            NormResult r = Functional.layerNorm(in.get(0), 2, in.get(1), in.get(2), 1e-5);
            r.mean().close();
            r.rstd().close();
            return r.out();
        }, in -> NormReference.layerNorm(in.get(0), 2, in.get(1).data, in.get(2).data, 1e-5).out());
    }

    @Test
    void batchNormGradients() {
        gradcheck("batchNorm training", List.of(randn(4, 3, 2, 2), randn(3), randn(3)), in -> {
            NormResult r = Functional.batchNormTraining(in.get(0), in.get(1), in.get(2), null, null, 0.1, 1e-5);
            r.mean().close();
            r.rstd().close();
            return r.out();
        }, in -> NormReference.batchNormTraining(in.get(0), in.get(1).data, in.get(2).data, 1e-5).out());
        HostTensor mean = randn(3), var = positive(3);
        Tensor rm = upload(mean), rv = upload(var);
        gradcheck("batchNorm inference", List.of(randn(2, 3, 2, 3), randn(3), randn(3)),
                in -> Functional.batchNormInference(in.get(0), in.get(1), in.get(2), rm, rv, 1e-5),
                in -> NormReference.batchNormWith(in.get(0), mean.data, var.data, in.get(1).data, in.get(2).data, 1e-5));
    }

    @Test
    void lrnGradient() {
        LrnParams p = new LrnParams(3, 0.5, 0.75, 2.0);
        gradcheck("lrn", List.of(randn(2, 5, 2, 3)), in -> Functional.lrn(in.get(0), p), in -> NormReference.lrn(in.get(0), 3, 0.5, 0.75, 2.0));
    }

    @Test
    void dropoutGradientIsTheMask() {
        Tensor x = upload(randn(4, 9)).requiresGrad(true);
        DropoutResult r = track(Functional.dropout(x, 0.4, new Generator(seed)));
        HostTensor g = randn(4, 9);
        r.out().backward(upload(g));
        HostTensor mask = HostTensor.of(r.mask());
        double[] expected = new double[g.numel()];
        for (int i = 0; i < expected.length; i++) expected[i] = g.data[i] * mask.data[i];
        assertClose("dropout grad", new HostTensor(expected, 4, 9), x.grad());
    }

    @ParameterizedTest
    @EnumSource(RnnParams.Mode.class)
    void rnnGradient(RnnParams.Mode mode) {
        boolean lstm = mode == RnnParams.Mode.LSTM;
        RnnParams p = new RnnParams(mode, 3, 4, 1, false);
        int gates = p.gates() * 4;
        List<HostTensor> inputs = new ArrayList<>(List.of(randn(3, 2, 3).map(v -> v * 0.5), randn(1, 2, 4).map(v -> v * 0.5)));
        if (lstm) inputs.add(randn(1, 2, 4).map(v -> v * 0.5));
        for (int[] s : new int[][] {{gates, 3}, {gates, 4}, {gates}, {gates}}) inputs.add(randn(s).map(v -> v * 0.4));
        int w0 = lstm ? 3 : 2;
        gradcheck(mode + " output and final state", inputs, in -> {
            RnnResult r = Functional.rnn(p, in.get(0), in.get(1), lstm ? in.get(2) : null, in.subList(w0, w0 + 4), true);
            try (r; Tensor flat = r.output().reshape(-1); Tensor h = r.hN().reshape(-1)) {
                return Tensor.concat(List.of(flat, h), 0);
            }
        }, in -> {
            RnnReference.Result r = RnnReference.forward(lstm, 1, false, in.get(0), in.get(1), lstm ? in.get(2) : null, in.subList(w0, w0 + 4));
            double[] out = new double[r.output().numel() + r.hN().numel()];
            System.arraycopy(r.output().data, 0, out, 0, r.output().numel());
            System.arraycopy(r.hN().data, 0, out, r.output().numel(), r.hN().numel());
            return new HostTensor(out, out.length);
        });
    }

    @Test
    void attentionGradient() {
        double scale = 1 / Math.sqrt(4);
        gradcheck("causal attention", List.of(randn(1, 2, 3, 4), randn(1, 2, 5, 4), randn(1, 2, 5, 4)),
                in -> {
                    var r = Functional.attention(in.get(0), in.get(1), in.get(2), null, true, scale);
                    r.logSumExp().close();
                    return r.out();
                }, in -> AttentionReference.forward(in.get(0), in.get(1), in.get(2), null, true, scale).out());
    }

    // ---- losses ----

    @ParameterizedTest
    @EnumSource(Reduction.class)
    void crossEntropyGradient(Reduction reduction) {
        long[] target = {2, 0, -100, 4, 1};
        Tensor t = track(device().fromArray(target, 5));
        gradcheck("crossEntropy " + reduction, List.of(randn(5, 6)), in -> Functional.crossEntropy(in.get(0), t, -100, 0.1, reduction),
                in -> LossReference.crossEntropy(in.get(0), target, -100, 0.1, reduction));
    }

    @ParameterizedTest
    @EnumSource(Reduction.class)
    void nllMseBceGradients(Reduction reduction) {
        long[] target = {1, 3, 0, 3};
        Tensor t = track(device().fromArray(target, 4));
        gradcheck("nll " + reduction, List.of(randn(4, 5)), in -> Functional.nllLoss(in.get(0), t, 0, reduction), in -> {
            double[] per = new double[4];
            int kept = 0;
            for (int i = 0; i < 4; i++) if (target[i] != 0) { per[i] = -in.get(0).get(i, (int) target[i]); kept++; }
            return reduced(new HostTensor(per, 4), reduction, kept);
        });
        gradcheck("mse " + reduction, List.of(randn(3, 4), randn(4)), in -> Functional.mseLoss(in.get(0), in.get(1), reduction),
                in -> reduced(Broadcast.binary(in.get(0), in.get(1), (a, b) -> (a - b) * (a - b)), reduction, 12));
        HostTensor y = HostTensor.uniform(rnd, 0, 1, 3, 5);
        Tensor yt = upload(y);
        gradcheck("bceWithLogits " + reduction, List.of(randn(3, 5).map(v -> 3 * v)), in -> Functional.bceWithLogits(in.get(0), yt, reduction),
                in -> reduced(Broadcast.binary(in.get(0), y, (x, z) -> -(z * Math.log(1 / (1 + Math.exp(-x))) + (1 - z) * Math.log(1 - 1 / (1 + Math.exp(-x))))),
                        reduction, 15));
    }

    private static HostTensor reduced(HostTensor per, Reduction r, int count) {
        double s = 0;
        for (double v : per.data) s += v;
        return switch (r) {
            case NONE -> per;
            case SUM -> new HostTensor(new double[] {s});
            case MEAN -> new HostTensor(new double[] {s / count});
        };
    }

    // ---- semantics ----

    @Test
    void gradientsAccumulateAcrossUsesAndBackwardCalls() {
        HostTensor h = randn(3, 4);
        Tensor x = upload(h).requiresGrad(true);
        for (int call = 1; call <= 2; call++) {
            try (Tensor a = x.mul(x); Tensor b = a.add(x); Tensor loss = b.sum()) {   // d/dx = 2x + 1, x used three times
                loss.backward();
            }
            double[] expected = new double[12];
            for (int i = 0; i < 12; i++) expected[i] = call * (2 * h.data[i] + 1);
            assertClose("grad after " + call + " backward calls", new HostTensor(expected, 3, 4), x.grad());
        }
        x.zeroGrad();
        assertNull(x.grad(), "zeroGrad clears the gradient");
    }

    @Test
    void noGradScopeRecordsNothing() {
        Tensor x = upload(randn(5)).requiresGrad(true);
        try (var g = Autograd.noGrad()) {
            assertFalse(Autograd.isEnabled());
            Tensor y = track(x.exp());
            assertFalse(y.requiresGrad(), "an op under noGrad records nothing");
            assertNull(y.gradFn());
            try (var inner = Autograd.noGrad()) {
                assertFalse(Autograd.isEnabled());
            }
            assertFalse(Autograd.isEnabled(), "closing a nested scope keeps the outer one");
        }
        assertTrue(Autograd.isEnabled());
        Tensor z = track(x.exp());
        assertTrue(z.requiresGrad());
        assertEquals("exp", z.gradFn().name());
    }

    @Test
    void detachSharesValuesAndStopsTheGradient() {
        HostTensor h = randn(4);
        Tensor x = upload(h).requiresGrad(true);
        Tensor d = track(x.detach());
        assertFalse(d.requiresGrad());
        assertClose("detached values", h, d);
        try (Tensor y = x.mul(d); Tensor loss = y.sum()) {   // d is a constant: d/dx = d
            loss.backward();
        }
        assertClose("grad through a detached factor", h, x.grad());
    }

    @Test
    void leavesThatDoNotRequireGradGetNone() {
        Tensor x = upload(randn(3)).requiresGrad(true);
        Tensor c = upload(randn(3));
        try (Tensor y = x.mul(c); Tensor loss = y.sum()) {
            loss.backward();
        }
        assertNotNull(x.grad());
        assertNull(c.grad(), "a constant collects no gradient");
        assertFalse(c.requiresGrad());
    }

    @Test
    void misuseIsATypedErrorNamingTheOp() {
        Tensor x = upload(randn(2, 3)).requiresGrad(true);
        Tensor y = track(x.exp());
        AutogradException nonScalar = assertThrows(AutogradException.class, y::backward);
        assertTrue(nonScalar.getMessage().contains("backward") && nonScalar.getMessage().contains("[2, 3]"), nonScalar.getMessage());
        Tensor c = upload(randn(1));
        AutogradException noGrad = assertThrows(AutogradException.class, c::backward);
        assertTrue(noGrad.getMessage().contains("does not require grad"), noGrad.getMessage());
        Tensor s = track(y.sum());
        s.backward();
        AutogradException twice = assertThrows(AutogradException.class, s::backward);
        assertTrue(twice.getMessage().contains("backward") && twice.getMessage().contains("freed"), twice.getMessage());
        AutogradException notLeaf = assertThrows(AutogradException.class, () -> y.requiresGrad(false));
        assertTrue(notLeaf.getMessage().contains("exp"), notLeaf.getMessage());
        Tensor ints = track(device().fromArray(new long[] {1, 2}, 2));
        assertThrows(AutogradException.class, () -> ints.requiresGrad(true));
    }

    @Test
    void forwardTensorsMayBeClosedBeforeBackward() {
        HostTensor h = randn(3, 5), wv = randn(5, 2);
        Tensor x = upload(h).requiresGrad(true);
        Tensor w = upload(wv).requiresGrad(true);
        Tensor loss;
        try (Scope s = Kiln.scope()) {
            Tensor hidden = x.matmul(w).tanh();
            loss = s.keep(hidden.square().sum());
        }
        long beforeBackward = device().bytesInUse();
        try (loss) {
            loss.backward();
        }
        assertTrue(device().bytesInUse() <= beforeBackward + bytesOf(x) + bytesOf(w),
                "after backward only the two gradients may remain of the graph's memory");
        HostTensor ref = MatmulRef.matmul(h, wv);
        double[] expected = new double[h.numel()];
        for (int r = 0; r < 3; r++) {
            for (int k = 0; k < 5; k++) {
                double sum = 0;
                for (int j = 0; j < 2; j++) {
                    double t = Math.tanh(ref.get(r, j));
                    sum += 2 * t * (1 - t * t) * wv.get(k, j);
                }
                expected[r * 5 + k] = sum;
            }
        }
        assertClose("grad after the forward scope closed", new HostTensor(expected, 3, 5), x.grad(), gradTolerance());
    }

    private static long bytesOf(Tensor t) { return t.numel() * t.dtype().byteSize(); }

    @Test
    void anAbandonedGraphIsFreedWithItsRoot() {
        Tensor x = upload(randn(6, 6)).requiresGrad(true);
        long base = device().bytesInUse();
        Tensor loss;
        try (Scope s = Kiln.scope()) {
            Tensor h = Functional.softmax(x.matmul(x), 1);
            loss = s.keep(h.mul(h).sum());
        }
        assertTrue(device().bytesInUse() > base, "the graph keeps the saved activations alive");
        loss.close();
        device().synchronize();
        assertEquals(base, device().bytesInUse(), "closing the root of a graph never backpropagated frees what it saved");
        assertNull(x.grad());
    }

    @Test
    void backwardFromALeafAndWithAnExplicitGradient() {
        HostTensor h = randn(3);
        Tensor x = upload(h).requiresGrad(true);
        HostTensor g = randn(3);
        x.backward(upload(g));
        assertClose("leaf backward", g, x.grad());
        Tensor wrong = upload(randn(4));
        assertThrows(AutogradException.class, () -> x.backward(wrong));
    }
}
