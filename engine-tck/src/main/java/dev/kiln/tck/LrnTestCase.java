package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Functional;
import dev.kiln.LrnParams;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.tck.ref.CentralDifference;
import dev.kiln.tck.ref.NormReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Local response norm across channels as torch.nn.LocalResponseNorm: window sizes 1, 2, 5 (even and wider than C), odd channel counts. */
public abstract class LrnTestCase extends KilnTestCase {

    static Stream<Arguments> cases() {
        int[][] shapes = {{2, 1, 3, 2}, {1, 3, 4}, {2, 7, 2, 3}, {1, 4, 1, 1}};
        List<Arguments> out = new ArrayList<>();
        for (int[] s : shapes) for (int size : new int[] {1, 2, 5}) out.add(Arguments.of(s, size));
        return out.stream();
    }

    /** AlexNet's constants, with alpha raised so the window term matters at unit-scale inputs. */
    private static LrnParams params(int size) { return new LrnParams(size, 0.5, 0.75, 2.0); }

    @ParameterizedTest
    @MethodSource("cases")
    void forwardMatchesReference(int[] shape, int size) {
        HostTensor x = randn(shape).map(v -> 2 * v);
        LrnParams p = params(size);
        Tensor out = track(Functional.lrn(upload(x), p));
        assertClose("lrn " + Arrays.toString(shape) + " size " + size, NormReference.lrn(x, size, p.alpha(), p.beta(), p.k()), out);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void backwardMatchesFiniteDifferences(int[] shape, int size) {
        HostTensor x = randn(shape), g = randn(shape);
        LrnParams p = params(size);
        Tensor xt = upload(x);
        Tensor out = track(Functional.lrn(xt, p));
        Tensor dx = track(Functional.lrnBackward(upload(g), xt, out, p));
        double[] expected = CentralDifference.gradient(v -> NormReference.lrn(new HostTensor(v, shape), size, p.alpha(), p.beta(), p.k()).data,
                x.data, g.data);
        assertClose("lrnBackward " + Arrays.toString(shape) + " size " + size, new HostTensor(expected, shape), dx);
    }

    @Test
    void alexNetConstantsOnWideChannels() {
        int[] shape = {1, 13, 2, 2};
        HostTensor x = randn(shape).map(v -> 10 * v);
        LrnParams p = new LrnParams(5, 1e-4, 0.75, 2.0);
        assertClose("lrn AlexNet constants", NormReference.lrn(x, 5, 1e-4, 0.75, 2.0), track(Functional.lrn(upload(x), p)));
    }

    @Test
    void argumentChecksNameTheOp() {
        Tensor flat = upload(randn(3, 4));
        assertTrue(assertThrows(ShapeException.class, () -> Functional.lrn(flat, params(3))).getMessage().contains("lrn"));
        assertTrue(assertThrows(ShapeException.class, () -> new LrnParams(0, 1, 1, 1)).getMessage().contains("lrn"));
        Tensor x = upload(randn(1, 3, 2)), g = upload(randn(1, 3, 3));
        Tensor out = track(Functional.lrn(x, params(3)));
        assertTrue(assertThrows(ShapeException.class, () -> Functional.lrnBackward(g, x, out, params(3))).getMessage().contains("lrnBackward"));
    }
}
