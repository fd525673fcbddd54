package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.DType;
import dev.kiln.DTypeException;
import dev.kiln.Functional;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.tck.ref.ConvReference;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code Functional.linear} ({@code x @ w^T + b}) against a float64 reference, and its argument checks. */
public abstract class LinearTestCase extends KilnTestCase {

    /** x has shape {@code input}; the layer maps its last axis to {@code outFeatures}. */
    public record LinearCase(int[] input, int outFeatures, boolean bias) {
        @Override
        public String toString() { return Arrays.toString(input) + " -> " + outFeatures + (bias ? " with bias" : " no bias"); }
    }

    static Stream<LinearCase> linearCases() {
        return Stream.of(
                new LinearCase(new int[] {7, 5}, 3, true),
                new LinearCase(new int[] {7, 5}, 3, false),
                new LinearCase(new int[] {1, 1}, 1, true),
                new LinearCase(new int[] {5}, 7, true),
                new LinearCase(new int[] {2, 3, 5}, 4, false),
                new LinearCase(new int[] {3, 1, 2, 6}, 2, true),
                new LinearCase(new int[] {129, 7}, 5, true),
                new LinearCase(new int[] {3, 33}, 17, false),
                new LinearCase(new int[] {4, 0}, 3, true),
                new LinearCase(new int[] {0, 6}, 3, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("linearCases")
    void linearMatchesReference(LinearCase c) {
        int in = c.input()[c.input().length - 1];
        HostTensor x = randn(c.input()), w = randn(c.outFeatures(), in), b = c.bias() ? randn(c.outFeatures()) : null;
        Tensor out = track(Functional.linear(upload(x), upload(w), b == null ? null : upload(b)));
        assertClose("linear " + c, ConvReference.linear(x, w, b), out);
    }

    @Test
    void linearRejectsWeightOfOtherInputFeatures() {
        Tensor x = upload(randn(4, 5)), w = upload(randn(3, 6));
        expectShapeError("linear", () -> Functional.linear(x, w, null));
    }

    @Test
    void linearRejectsWeightThatIsNotAMatrix() {
        Tensor x = upload(randn(4, 5)), w = upload(randn(5));
        expectShapeError("linear", () -> Functional.linear(x, w, null));
    }

    @Test
    void linearRejectsBiasOfOtherLength() {
        Tensor x = upload(randn(4, 5)), w = upload(randn(3, 5)), b = upload(randn(4));
        expectShapeError("linear", () -> Functional.linear(x, w, b));
    }

    @Test
    void linearRejectsIntegerInput() {
        Tensor x = track(randn(4, 5).to(device(), DType.I64)), w = upload(randn(3, 5));
        DTypeException e = assertThrows(DTypeException.class, () -> Functional.linear(x, w, null));
        assertTrue(e.getMessage().contains("linear"), e.getMessage());
    }

    /** Asserts that {@code call} throws a ShapeException whose message names {@code op}. */
    static void expectShapeError(String op, org.junit.jupiter.api.function.Executable call) {
        ShapeException e = assertThrows(ShapeException.class, call, op + ": expected a ShapeException");
        assertTrue(e.getMessage().contains(op), "message should name " + op + ": " + e.getMessage());
    }
}
