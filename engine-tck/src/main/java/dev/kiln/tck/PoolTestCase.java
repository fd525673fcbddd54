package dev.kiln.tck;

import static dev.kiln.tck.LinearTestCase.expectShapeError;

import dev.kiln.Functional;
import dev.kiln.Pool2dParams;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.tck.ref.ConvReference;
import dev.kiln.tck.ref.PoolReference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Max, average and adaptive average pooling, forward against float64 nested-loop references and
 * backward against finite differences (max pooling: against the first-maximum routing rule, and
 * against finite differences on inputs without near ties). Geometries include overlapping windows
 * (3/2 of AlexNet), ceil mode (GoogLeNet), padding and count_include_pad on and off.
 */
public abstract class PoolTestCase extends KilnTestCase {

    /** One pooling of an input [n, c, h, w]. */
    public record PoolCase(String name, int n, int c, int h, int w, Pool2dParams p) {
        int[] inputShape() { return new int[] {n, c, h, w}; }
        int[] outputShape() {
            return new int[] {n, c, PoolReference.outSize(h, p.kernelH(), p.strideH(), p.padH(), p.ceilMode()),
                PoolReference.outSize(w, p.kernelW(), p.strideW(), p.padW(), p.ceilMode())};
        }
        int[] geometry() { return new int[] {p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padH(), p.padW()}; }

        @Override
        public String toString() { return name; }
    }

    private static Pool2dParams pool(int k, int s, int pad, boolean ceil) { return Pool2dParams.of(k, s, pad).withCeilMode(ceil); }

    static Stream<PoolCase> poolCases() {
        return Stream.of(
                new PoolCase("2/2, batch 2", 2, 3, 8, 8, pool(2, 2, 0, false)),
                new PoolCase("2/2 odd input", 1, 2, 7, 9, pool(2, 2, 0, false)),
                new PoolCase("2/2 odd input, ceil", 1, 2, 7, 9, pool(2, 2, 0, true)),
                new PoolCase("3/2 overlapping (AlexNet)", 1, 2, 13, 13, pool(3, 2, 0, false)),
                new PoolCase("3/2 pad 1, batch 3", 3, 2, 9, 9, pool(3, 2, 1, false)),
                new PoolCase("3/2 ceil (GoogLeNet)", 1, 2, 10, 10, pool(3, 2, 0, true)),
                new PoolCase("3/2 pad 1, ceil", 1, 2, 8, 7, pool(3, 2, 1, true)),
                new PoolCase("3/1 pad 1 (Inception branch)", 1, 3, 7, 7, pool(3, 1, 1, false)),
                new PoolCase("5/3 pad 2, ceil: window past the padding", 1, 1, 11, 11, pool(5, 3, 2, true)),
                new PoolCase("7/1 global (GoogLeNet head)", 3, 2, 7, 7, pool(7, 1, 0, false)),
                new PoolCase("1/2", 1, 2, 5, 6, pool(1, 2, 0, false)),
                new PoolCase("3x2 kernel, stride 2x1, pad 1x0", 2, 2, 7, 6, new Pool2dParams(3, 2, 2, 1, 1, 0, false, true)),
                new PoolCase("1x1 input", 2, 3, 1, 1, pool(1, 1, 0, false)));
    }

    /** Every pool case with count_include_pad on and off. */
    static Stream<PoolCase> avgPoolCases() {
        return poolCases().flatMap(c -> Stream.of(
                new PoolCase(c.name() + ", count_include_pad", c.n(), c.c(), c.h(), c.w(), c.p().withCountIncludePad(true)),
                new PoolCase(c.name() + ", exclude pad", c.n(), c.c(), c.h(), c.w(), c.p().withCountIncludePad(false))));
    }

    // ---- max ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("poolCases")
    void maxPoolMatchesReference(PoolCase c) {
        HostTensor x = randn(c.inputShape());
        Tensor out = track(Functional.maxPool2d(upload(x), c.p()));
        assertClose("maxPool2d " + c, PoolReference.maxPool(x, c.geometry(), c.p().ceilMode()), out);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("poolCases")
    void maxPoolBackwardRoutesGradientToTheMaximum(PoolCase c) {
        HostTensor x = randn(c.inputShape()), gy = randn(c.outputShape());
        Tensor xt = upload(x), out = track(Functional.maxPool2d(xt, c.p()));
        Tensor gradX = track(Functional.maxPool2dBackward(upload(gy), xt, out, c.p()));
        assertClose("maxPool2dBackward " + c, PoolReference.maxPoolBackward(x, gy, c.geometry(), c.p().ceilMode()), gradX);
    }

    /** Inputs spaced 1/64 apart (exact in float32), so a step of 1e-4 never changes a window's maximum. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("poolCases")
    void maxPoolBackwardMatchesFiniteDifferences(PoolCase c) {
        HostTensor x = distinctValues(c.inputShape()), gy = randn(c.outputShape());
        HostTensor expected = ConvReference.numericGradient(xs -> PoolReference.maxPool(xs, c.geometry(), c.p().ceilMode()), x, gy, 1e-4);
        Tensor xt = upload(x), out = track(Functional.maxPool2d(xt, c.p()));
        assertClose("maxPool2dBackward " + c, expected, track(Functional.maxPool2dBackward(upload(gy), xt, out, c.p())));
    }

    /** Inputs from {0, 1, 2}: most windows hold tied maxima, and the first one (row-major) takes the gradient, as in PyTorch. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("poolCases")
    void maxPoolBackwardSendsTiesToTheFirstMaximum(PoolCase c) {
        HostTensor x = HostTensor.randint(rnd, 0, 3, c.inputShape()), gy = randn(c.outputShape());
        Tensor xt = upload(x), out = track(Functional.maxPool2d(xt, c.p()));
        assertClose("maxPool2d with ties " + c, PoolReference.maxPool(x, c.geometry(), c.p().ceilMode()), out);
        Tensor gradX = track(Functional.maxPool2dBackward(upload(gy), xt, out, c.p()));
        assertClose("maxPool2dBackward with ties " + c, PoolReference.maxPoolBackward(x, gy, c.geometry(), c.p().ceilMode()), gradX);
    }

    @Test
    void maxPoolOfNegativeInputsIgnoresPadding() {
        PoolCase c = new PoolCase("3/2 pad 1 on negative input", 1, 2, 5, 5, pool(3, 2, 1, true));
        HostTensor x = randn(c.inputShape()).map(v -> -Math.abs(v) - 1);
        Tensor out = track(Functional.maxPool2d(upload(x), c.p()));
        assertClose("maxPool2d " + c, PoolReference.maxPool(x, c.geometry(), true), out);
    }

    @Test
    void maxPoolPropagatesNaN() {
        PoolCase c = new PoolCase("3/2 pad 1 with NaN inputs", 1, 2, 7, 7, pool(3, 2, 1, false));
        HostTensor x = randn(c.inputShape());
        x.set(Double.NaN, 0, 0, 3, 3);
        x.set(Double.NaN, 0, 1, 0, 6);
        Tensor out = track(Functional.maxPool2d(upload(x), c.p()));
        assertClose("maxPool2d " + c, PoolReference.maxPool(x, c.geometry(), false), out);
    }

    /** Windows whose inputs are all -inf: the maximum is -inf and its gradient goes to the window's first input element. */
    @Test
    void maxPoolOfMinusInfinityRoutesGradientToTheFirstInputElement() {
        PoolCase c = new PoolCase("3/2 pad 1, ceil, -inf planes", 2, 2, 5, 6, pool(3, 2, 1, true));
        HostTensor x = randn(c.inputShape()), gy = randn(c.outputShape());
        for (int i = 0; i < 30; i++) x.data[i] = Double.NEGATIVE_INFINITY;   // the first plane and part of the second
        Tensor xt = upload(x), out = track(Functional.maxPool2d(xt, c.p()));
        assertClose("maxPool2d " + c, PoolReference.maxPool(x, c.geometry(), true), out);
        Tensor gradX = track(Functional.maxPool2dBackward(upload(gy), xt, out, c.p()));
        assertClose("maxPool2dBackward " + c, PoolReference.maxPoolBackward(x, gy, c.geometry(), true), gradX);
    }

    private HostTensor distinctValues(int[] shape) {
        int n = (int) Shape.of(shape).numel();
        List<Double> values = new ArrayList<>();
        for (int i = 0; i < n; i++) values.add((i - n / 2) / 64.0);
        Collections.shuffle(values, rnd);
        double[] d = values.stream().mapToDouble(Double::doubleValue).toArray();
        return new HostTensor(d, shape);
    }

    // ---- average ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("avgPoolCases")
    void avgPoolMatchesReference(PoolCase c) {
        HostTensor x = randn(c.inputShape());
        Tensor out = track(Functional.avgPool2d(upload(x), c.p()));
        assertClose("avgPool2d " + c, PoolReference.avgPool(x, c.geometry(), c.p().ceilMode(), c.p().countIncludePad()), out);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("avgPoolCases")
    void avgPoolBackwardMatchesFiniteDifferences(PoolCase c) {
        HostTensor x = randn(c.inputShape()), gy = randn(c.outputShape());
        HostTensor expected = ConvReference.numericGradient(
                xs -> PoolReference.avgPool(xs, c.geometry(), c.p().ceilMode(), c.p().countIncludePad()), x, gy, 1e-3);
        Tensor gradX = track(Functional.avgPool2dBackward(upload(gy), Shape.of(c.inputShape()), c.p()));
        assertClose("avgPool2dBackward " + c, expected, gradX);
    }

    // ---- adaptive average ----

    /** Input [n, c, h, w] pooled to [n, c, outH, outW]. */
    public record AdaptiveCase(int n, int c, int h, int w, int outH, int outW) {
        @Override
        public String toString() { return n + "x" + c + "x" + h + "x" + w + " -> " + outH + "x" + outW; }
    }

    static Stream<AdaptiveCase> adaptiveCases() {
        return Stream.of(
                new AdaptiveCase(2, 3, 7, 7, 1, 1),     // global average (ResNet, GoogLeNet heads)
                new AdaptiveCase(1, 2, 13, 13, 6, 6),   // AlexNet's 6x6
                new AdaptiveCase(1, 2, 7, 9, 3, 4),     // overlapping windows of unequal sizes
                new AdaptiveCase(3, 1, 5, 5, 5, 5),     // identity
                new AdaptiveCase(1, 2, 4, 6, 8, 3),     // more outputs than inputs along H
                new AdaptiveCase(2, 2, 1, 1, 2, 3));    // 1x1 input spread out
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adaptiveCases")
    void adaptiveAvgPoolMatchesReference(AdaptiveCase c) {
        HostTensor x = randn(c.n(), c.c(), c.h(), c.w());
        Tensor out = track(Functional.adaptiveAvgPool2d(upload(x), c.outH(), c.outW()));
        assertClose("adaptiveAvgPool2d " + c, PoolReference.adaptiveAvgPool(x, c.outH(), c.outW()), out);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adaptiveCases")
    void adaptiveAvgPoolBackwardMatchesFiniteDifferences(AdaptiveCase c) {
        HostTensor x = randn(c.n(), c.c(), c.h(), c.w()), gy = randn(c.n(), c.c(), c.outH(), c.outW());
        HostTensor expected = ConvReference.numericGradient(xs -> PoolReference.adaptiveAvgPool(xs, c.outH(), c.outW()), x, gy, 1e-3);
        Tensor gradX = track(Functional.adaptiveAvgPool2dBackward(upload(gy), Shape.of(c.n(), c.c(), c.h(), c.w())));
        assertClose("adaptiveAvgPool2dBackward " + c, expected, gradX);
    }

    // ---- argument checks ----

    @Test
    void maxPoolRejectsInputThatIsNotNchw() {
        Tensor x = upload(randn(3, 6, 6));
        expectShapeError("maxPool2d", () -> Functional.maxPool2d(x, pool(2, 2, 0, false)));
    }

    @Test
    void maxPoolRejectsWindowLargerThanInput() {
        Tensor x = upload(randn(1, 1, 3, 3));
        expectShapeError("maxPool2d", () -> Functional.maxPool2d(x, pool(5, 1, 0, false)));
    }

    @Test
    void maxPoolBackwardRejectsGradientOfWrongShape() {
        Tensor x = upload(randn(1, 2, 6, 6)), out = track(Functional.maxPool2d(x, pool(2, 2, 0, false)));
        Tensor gy = upload(randn(1, 2, 2, 3));
        expectShapeError("maxPool2dBackward", () -> Functional.maxPool2dBackward(gy, x, out, pool(2, 2, 0, false)));
    }

    @Test
    void avgPoolRejectsWindowLargerThanInput() {
        Tensor x = upload(randn(1, 1, 2, 7));
        expectShapeError("avgPool2d", () -> Functional.avgPool2d(x, pool(3, 1, 0, false)));
    }

    @Test
    void avgPoolBackwardRejectsGradientOfWrongShape() {
        Tensor gy = upload(randn(1, 2, 3, 3));
        expectShapeError("avgPool2dBackward", () -> Functional.avgPool2dBackward(gy, Shape.of(1, 2, 8, 8), pool(2, 2, 0, false)));
    }

    @Test
    void poolRejectsPaddingLargerThanHalfTheKernel() {
        expectShapeError("pool2d", () -> Pool2dParams.of(2, 2, 2));
    }

    @Test
    void adaptiveAvgPoolRejectsEmptyOutput() {
        Tensor x = upload(randn(1, 2, 5, 5));
        expectShapeError("adaptiveAvgPool2d", () -> Functional.adaptiveAvgPool2d(x, 0, 3));
    }

    @Test
    void adaptiveAvgPoolBackwardRejectsGradientOfOtherChannels() {
        Tensor gy = upload(randn(1, 3, 2, 2));
        expectShapeError("adaptiveAvgPool2dBackward", () -> Functional.adaptiveAvgPool2dBackward(gy, Shape.of(1, 2, 5, 5)));
    }
}
