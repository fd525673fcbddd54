package dev.kiln.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JmhMainTest {
    @Test
    void scoresBecomeSecondsPerOp() {
        assertEquals(0.0125, JmhMain.secondsPerOp(12.5, "ms/op"), 1e-15);
        assertEquals(2e-6, JmhMain.secondsPerOp(2, "us/op"), 1e-18);
        assertEquals(0.004, JmhMain.secondsPerOp(250, "ops/s"), 1e-15);
        assertEquals(0.5, JmhMain.secondsPerOp(0.002, "ops/ms"), 1e-12);
        assertTrue(Double.isNaN(JmhMain.secondsPerOp(1, "B/op")));
    }

    @Test
    void gemmFlops() {
        assertEquals(2.0 * 512 * 512 * 512, GemmBenchmark.flops(512));
    }
}
