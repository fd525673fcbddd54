package dev.kiln.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.spi.UnaryOp;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The same input gives the same bits before and after the JIT compiles the kernels: the zoo's
 * "8 threads give the bits of one" promise depends on it (a first call runs interpreted, later ones
 * compiled, and Vector API transcendental lanes or reduceLanes(ADD) differ between the two).
 */
class JitDeterminismTest {
    static void sameColdAndHot(String what, UnaryOperator<Tensor> f, Tensor x) {
        float[] cold;
        try (Tensor y = f.apply(x)) {
            cold = y.toFloatArray();
        }
        for (int i = 0; i < 20_000; i++) f.apply(x).close();
        try (Tensor y = f.apply(x)) {
            assertArrayEquals(cold, y.toFloatArray(), what + ": the compiled kernel changed the bits");
        }
    }

    @Test
    void transcendentalsAndSumsKeepTheirBitsOnceCompiled() {
        Device d = Kiln.device("cpu");
        try (Tensor x = d.randn(new Generator(11), 1003)) {
            for (UnaryOp op : new UnaryOp[] {UnaryOp.EXP, UnaryOp.TANH, UnaryOp.SIGMOID, UnaryOp.SILU, UnaryOp.SIN, UnaryOp.COS}) {
                sameColdAndHot(op.name(), t -> t.apply(op), x);
            }
            sameColdAndHot("log", t -> {
                try (Tensor a = t.abs()) {
                    return a.log();
                }
            }, x);
            sameColdAndHot("sum", t -> t.sum(), x);
        }
    }
}
