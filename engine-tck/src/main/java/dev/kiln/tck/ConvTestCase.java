package dev.kiln.tck;

import static dev.kiln.tck.LinearTestCase.expectShapeError;

import dev.kiln.Conv2dParams;
import dev.kiln.Functional;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.composite.ConvComposite;
import dev.kiln.tck.ref.ConvReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 2-D convolution: forward against a float64 nested-loop reference, both backward passes against
 * central differences of that reference, over the geometries real networks use (1x1, 3x3, 5x5,
 * 7x7/2 of GoogLeNet, 11x11/4 of AlexNet, scaled down), padding, dilation, groups and depthwise.
 */
public abstract class ConvTestCase extends KilnTestCase {

    /** One convolution: input [n, c, h, w], weight [oc, c / groups, kh, kw]. */
    public record ConvCase(String name, int n, int c, int h, int w, int oc, int kh, int kw, Conv2dParams p, boolean bias) {
        int[] inputShape() { return new int[] {n, c, h, w}; }
        int[] weightShape() { return new int[] {oc, c / p.groups(), kh, kw}; }
        int[] outputShape() {
            return new int[] {n, oc, ConvReference.outSize(h, kh, p.strideH(), p.padH(), p.dilationH()),
                ConvReference.outSize(w, kw, p.strideW(), p.padW(), p.dilationW())};
        }
        int[] geometry() { return new int[] {p.strideH(), p.strideW(), p.padH(), p.padW(), p.dilationH(), p.dilationW(), p.groups()}; }

        @Override
        public String toString() { return name; }
    }

    static Stream<ConvCase> convCases() {
        return Stream.of(
                new ConvCase("1x1, batch 2", 2, 5, 7, 7, 3, 1, 1, Conv2dParams.of(1, 0), false),
                new ConvCase("1x1 stride 2, bias", 1, 4, 7, 6, 5, 1, 1, Conv2dParams.of(2, 0), true),
                new ConvCase("3x3 pad 1, bias", 1, 3, 7, 9, 4, 3, 3, Conv2dParams.of(1, 1), true),
                new ConvCase("3x3 no pad, batch 3", 3, 2, 6, 5, 3, 3, 3, Conv2dParams.of(1, 0), false),
                new ConvCase("5x5 pad 2 stride 2, batch 3", 3, 2, 11, 10, 3, 5, 5, Conv2dParams.of(2, 2), true),
                new ConvCase("7x7/2 pad 3 (GoogLeNet conv1)", 1, 3, 13, 13, 4, 7, 7, Conv2dParams.of(2, 3), true),
                new ConvCase("11x11/4 pad 2 (AlexNet conv1)", 1, 3, 23, 23, 2, 11, 11, Conv2dParams.of(4, 2), true),
                new ConvCase("3x3 dilation 2 pad 2", 2, 3, 9, 8, 2, 3, 3, Conv2dParams.of(1, 2).withDilation(2), false),
                new ConvCase("groups 2, bias", 2, 4, 6, 7, 6, 3, 3, Conv2dParams.of(1, 1).withGroups(2), true),
                new ConvCase("depthwise 3x3 stride 2", 2, 3, 7, 7, 3, 3, 3, Conv2dParams.of(2, 1).withGroups(3), false),
                new ConvCase("depthwise, multiplier 2", 1, 3, 5, 6, 6, 3, 3, Conv2dParams.of(1, 1).withGroups(3), true),
                new ConvCase("3x2 kernel, stride 1x2, pad 0x1, dilation 1x2", 2, 2, 7, 9, 3, 3, 2,
                        new Conv2dParams(1, 2, 0, 1, 1, 2, 1), true),
                new ConvCase("kernel as large as the input", 2, 3, 5, 5, 2, 5, 5, Conv2dParams.of(1, 0), true),
                new ConvCase("stride larger than the kernel", 1, 2, 9, 9, 2, 2, 2, Conv2dParams.of(3, 1), false),
                new ConvCase("1x1 input", 3, 3, 1, 1, 2, 1, 1, Conv2dParams.of(1, 0), true));
    }

    private HostTensor reference(ConvCase c, HostTensor x, HostTensor w, HostTensor b) {
        return ConvReference.conv2d(x, w, b, c.geometry());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convCases")
    void forwardMatchesReference(ConvCase c) {
        HostTensor x = randn(c.inputShape()), w = randn(c.weightShape()), b = c.bias() ? randn(c.oc()) : null;
        Tensor out = track(Functional.conv2d(upload(x), upload(w), b == null ? null : upload(b), c.p()));
        assertClose("conv2d " + c, reference(c, x, w, b), out);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convCases")
    void backwardDataMatchesFiniteDifferences(ConvCase c) {
        HostTensor x = randn(c.inputShape()), w = randn(c.weightShape()), gy = randn(c.outputShape());
        HostTensor expected = ConvReference.numericGradient(xs -> reference(c, xs, w, null), x, gy, 1e-3);
        Tensor gradX = track(Functional.conv2dBackwardData(upload(gy), upload(w), Shape.of(c.inputShape()), c.p()));
        assertClose("conv2dBackwardData " + c, expected, gradX);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convCases")
    void backwardFilterMatchesFiniteDifferences(ConvCase c) {
        HostTensor x = randn(c.inputShape()), w = randn(c.weightShape()), gy = randn(c.outputShape());
        HostTensor expected = ConvReference.numericGradient(ws -> reference(c, x, ws, null), w, gy, 1e-3);
        Tensor gradW = track(Functional.conv2dBackwardFilter(upload(gy), upload(x), Shape.of(c.weightShape()), c.p()));
        assertClose("conv2dBackwardFilter " + c, expected, gradW);
    }

    /** A composite default splits the batch when im2col would be large; force one image per chunk. */
    @Test
    void batchSplitIntoChunksGivesTheSameResults() {
        ConvCase c = new ConvCase("5x5 pad 2 stride 2, groups 2", 3, 4, 9, 8, 4, 5, 5, Conv2dParams.of(2, 2).withGroups(2), true);
        HostTensor x = randn(c.inputShape()), w = randn(c.weightShape()), b = randn(c.oc()), gy = randn(c.outputShape());
        String old = System.getProperty(ConvComposite.IM2COL_BUDGET_PROPERTY);
        System.setProperty(ConvComposite.IM2COL_BUDGET_PROPERTY, "1");
        try {
            assertClose("conv2d in chunks", reference(c, x, w, b), track(Functional.conv2d(upload(x), upload(w), upload(b), c.p())));
            assertClose("conv2dBackwardData in chunks", ConvReference.numericGradient(xs -> reference(c, xs, w, null), x, gy, 1e-3),
                    track(Functional.conv2dBackwardData(upload(gy), upload(w), Shape.of(c.inputShape()), c.p())));
            assertClose("conv2dBackwardFilter in chunks", ConvReference.numericGradient(ws -> reference(c, x, ws, null), w, gy, 1e-3),
                    track(Functional.conv2dBackwardFilter(upload(gy), upload(x), Shape.of(c.weightShape()), c.p())));
        } finally {
            if (old == null) System.clearProperty(ConvComposite.IM2COL_BUDGET_PROPERTY);
            else System.setProperty(ConvComposite.IM2COL_BUDGET_PROPERTY, old);
        }
    }

    // ---- argument checks ----

    @Test
    void conv2dRejectsWeightOfOtherInputChannels() {
        Tensor x = upload(randn(1, 3, 5, 5)), w = upload(randn(2, 2, 3, 3));
        expectShapeError("conv2d", () -> Functional.conv2d(x, w, null, Conv2dParams.of(1, 0)));
    }

    @Test
    void conv2dRejectsChannelsThatDoNotDivideByGroups() {
        Tensor x = upload(randn(1, 3, 5, 5)), w = upload(randn(4, 1, 3, 3));
        expectShapeError("conv2d", () -> Functional.conv2d(x, w, null, Conv2dParams.of(1, 0).withGroups(2)));
    }

    @Test
    void conv2dRejectsKernelLargerThanPaddedInput() {
        Tensor x = upload(randn(1, 2, 4, 4)), w = upload(randn(2, 2, 7, 7));
        expectShapeError("conv2d", () -> Functional.conv2d(x, w, null, Conv2dParams.of(1, 1)));
    }

    @Test
    void conv2dRejectsInputThatIsNotNchw() {
        Tensor x = upload(randn(2, 5, 5)), w = upload(randn(2, 2, 3, 3));
        expectShapeError("conv2d", () -> Functional.conv2d(x, w, null, Conv2dParams.of(1, 0)));
    }

    @Test
    void conv2dRejectsBiasOfOtherLength() {
        Tensor x = upload(randn(1, 2, 5, 5)), w = upload(randn(3, 2, 3, 3)), b = upload(randn(2));
        expectShapeError("conv2d", () -> Functional.conv2d(x, w, b, Conv2dParams.of(1, 0)));
    }

    @Test
    void conv2dRejectsNegativePadding() {
        expectShapeError("conv2d", () -> Conv2dParams.of(1, -1));
    }

    @Test
    void backwardDataRejectsGradientOfWrongShape() {
        Tensor gy = upload(randn(1, 3, 4, 4)), w = upload(randn(3, 2, 3, 3));
        expectShapeError("conv2dBackwardData", () -> Functional.conv2dBackwardData(gy, w, Shape.of(1, 2, 5, 5), Conv2dParams.of(1, 0)));
    }

    @Test
    void backwardFilterRejectsGradientOfWrongShape() {
        Tensor gy = upload(randn(1, 2, 3, 3)), x = upload(randn(1, 2, 5, 5));
        expectShapeError("conv2dBackwardFilter", () -> Functional.conv2dBackwardFilter(gy, x, Shape.of(3, 2, 3, 3), Conv2dParams.of(1, 0)));
    }
}
