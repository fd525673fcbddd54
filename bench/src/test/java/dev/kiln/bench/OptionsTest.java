package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class OptionsTest {
    @Test
    void defaults() {
        Options o = Options.parse();
        assertEquals(List.of(), o.backends());
        assertEquals(4.0, o.timeBudgetSeconds());
        assertEquals(Path.of("bench-out"), o.out());
        assertEquals(List.of(1, 32), o.batches());
        assertEquals(List.of(256, 512, 1024, 2048), o.gemmSizes());
        assertTrue(o.selected("anything"));
        assertEquals(Options.DEFAULT_MODELS, o.models());
    }

    @Test
    void modelsByNameOrNone() {
        assertEquals(List.of("vgg16", "lenet"), Options.parse("--models", "vgg16,lenet").models());
        assertEquals(List.of(), Options.parse("--models=none").models());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Options.parse("--models", "lenet6"));
        assertTrue(e.getMessage().contains("lenet6") && e.getMessage().contains("resnet50"), e.getMessage());
    }

    @Test
    void quickShortensTheRun() {
        Options o = Options.parse("--quick");
        assertEquals(1.0, o.timeBudgetSeconds());
        assertEquals(List.of(1), o.batches());
        assertEquals(List.of(256, 512, 1024), o.gemmSizes());
    }

    @Test
    void valuesBySpaceOrEquals() {
        Options o = Options.parse("--backends", "cpu, opencl:0", "--time-budget=2.5", "--out", "/tmp/x", "--batch=8", "--only", "gemm");
        assertEquals(List.of("cpu", "opencl:0"), o.backends());
        assertEquals(2.5, o.timeBudgetSeconds());
        assertEquals(Path.of("/tmp/x"), o.out());
        assertEquals(List.of(8), o.batches());
        assertTrue(o.selected("gemm 512"));
        assertFalse(o.selected("alexnet.conv1"));
    }

    @Test
    void badInputNamesTheOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Options.parse("--time-budget", "-1"));
        assertTrue(e.getMessage().contains("--time-budget"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Options.parse("--batch", "1.5"));
        assertTrue(e.getMessage().contains("--batch"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Options.parse("--backends"));
        assertTrue(e.getMessage().contains("needs a value"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Options.parse("--frobnicate"));
        assertTrue(e.getMessage().contains("--frobnicate"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Options.parse("--only", "(["));
        assertTrue(e.getMessage().contains("--only"), e.getMessage());
    }

    @Test
    void precisionsDefaultToFp32WhichAlwaysRunsFirst() {
        assertEquals(List.of("fp32"), Options.parse().precisions());
        assertEquals(List.of("fp32", "tf32", "bf16"), Options.parse("--precision", "fp32,tf32,bf16").precisions());
        assertEquals(List.of("fp32", "bf16", "tf32"), Options.parse("--precision=BF16,tf32,bf16").precisions());
        assertEquals(List.of("fp32", "tf32"), Options.parse("--precision", "tf32").precisions());
    }

    @Test
    void anUnknownPrecisionListsTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Options.parse("--precision", "fp32,fp16"));
        assertEquals("--precision: unknown precision 'fp16'; valid: fp32, tf32, bf16", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Options.parse("--precision"));
        assertTrue(e.getMessage().contains("needs a value"), e.getMessage());
    }

    @Test
    void aPrecisionInADeviceNameIsSentToPrecision() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Options.parse("--backends", "cpu,cuda:0@tf32"));
        assertTrue(e.getMessage().contains("--backends cuda:0 --precision tf32"), e.getMessage());
    }

    @Test
    void checkJmhTakesAnOptionalReport() {
        assertEquals(null, Options.parse().checkJmh());
        assertEquals(Path.of("bench-out/latest.json"), Options.parse("--check-jmh").checkJmh());
        assertEquals(Path.of("/tmp/o/latest.json"), Options.parse("--check-jmh", "--out", "/tmp/o").checkJmh());
        assertEquals(Path.of("r.json"), Options.parse("--check-jmh", "r.json").checkJmh());
        Options o = Options.parse("--check-jmh=r.json", "--jmh-result", "j.json");
        assertEquals(Path.of("r.json"), o.checkJmh());
        assertEquals(Path.of("j.json"), o.jmhResult());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Options.parse("--jmh-result", "j.json"));
        assertTrue(e.getMessage().contains("--check-jmh"), e.getMessage());
    }

    @Test
    void usageListsTheNewOptions() {
        assertTrue(Options.USAGE.contains("--precision LIST"));
        assertTrue(Options.USAGE.contains("--check-jmh"));
        assertTrue(Options.USAGE.contains("--jmh-result"));
    }
}
