package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.KilnException;
import org.junit.jupiter.api.Test;

class PrecisionTest {
    @Test
    void parsesThePropertyValues() {
        assertEquals(Precision.FP32, Precision.parse(null));
        assertEquals(Precision.FP32, Precision.parse("fp32"));
        assertEquals(Precision.TF32, Precision.parse(" TF32 "));
        assertEquals(Precision.BF16, Precision.parse("bf16"));
        KilnException e = assertThrows(KilnException.class, () -> Precision.parse("fp8"));
        assertEquals("kiln.cuda.precision=fp8 is not a precision: expected fp32, tf32 or bf16", e.getMessage());
    }

    @Test
    void cublasSettingsAndTolerances() {
        assertEquals(Cublas.COMPUTE_32F, Precision.FP32.computeType());
        assertEquals(77, Precision.TF32.computeType());
        assertEquals(75, Precision.BF16.computeType());
        assertTrue(Precision.FP32.tolerance() < Precision.TF32.tolerance());
        assertTrue(Precision.TF32.tolerance() < Precision.BF16.tolerance());
    }

    @Test
    void theProviderOffersEveryModeByName() {
        assertEquals(java.util.List.of("fp32", "tf32", "bf16"), Precision.NAMES);
        assertEquals(Precision.NAMES, new CudaProvider().precisions());
        assertEquals("tf32", Precision.TF32.label());
    }
}
