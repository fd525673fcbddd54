package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TorchPeerTest {
    private static final Spec GEMM = new Spec("gemm", "gemm 64", "64x64x64", 1, Workloads.gemmFlops(64), 64, null, null);
    private static final Spec CONV = new Spec("conv", "alexnet.conv5", "", 2, ConvLayer.ALEXNET.get(4).flops(2), 0,
            ConvLayer.ALEXNET.get(4), null);

    @Test
    void answersBecomeRows() {
        Row ok = TorchPeer.toRow((Map<?, ?>) Json.parse("""
                {"kernel": "gemm", "name": "gemm 64", "batch": 1, "first": 0.01, "samples": [0.002, 0.001, 0.003]}"""),
                List.of(GEMM, CONV));
        assertEquals("torch", ok.backend());
        assertEquals(0.002, ok.result().stats().median(), 1e-15);
        assertEquals(0.01, ok.result().firstCallSeconds());
        assertFalse(ok.result().settled());

        Row failed = TorchPeer.toRow((Map<?, ?>) Json.parse("""
                {"kernel": "conv", "name": "alexnet.conv5", "batch": 2, "error": "RuntimeError: boom"}"""), List.of(GEMM, CONV));
        assertNull(failed.result());
        assertEquals("RuntimeError: boom", failed.error());
        assertEquals(CONV.flops(), failed.flops());

        assertThrows(IllegalStateException.class, () -> TorchPeer.toRow((Map<?, ?>) Json.parse("""
                {"kernel": "gemm", "name": "gemm 99", "batch": 1, "first": 0.1, "samples": [0.1]}"""), List.of(GEMM)));
    }

    @Test
    void thePeerScriptTimesThePlanInPyTorch() throws Exception {
        Process probe = new ProcessBuilder(TorchPeer.python(), "-c", "import torch, torchvision").redirectErrorStream(true).start();
        assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0,
                "PyTorch is not installed for " + TorchPeer.python() + " (apt-get install python3-torch python3-torchvision)");
        List<Row> rows = new ArrayList<>();
        String version = TorchPeer.run(List.of(GEMM, CONV), 0.05, 1, rows::add);
        assertTrue(version.startsWith("PyTorch "), version);
        assertEquals(2, rows.size());
        for (Row r : rows) {
            assertTrue(r.ok(), r.error());
            assertTrue(r.result().stats().samples() >= 3, r + "");
            assertTrue(r.result().stats().min() > 0, r + "");
        }
        assertEquals(List.of("gemm 64", "alexnet.conv5"), rows.stream().map(Row::name).toList());
    }
}
