package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.Tensor;
import dev.kiln.UninitializedTensorException;
import dev.kiln.DType;
import org.junit.jupiter.api.Test;

/** The kit's own plumbing on the scalar backend: device lookup, tracking, leak check, poisoning. */
class ScalarPlumbingTest extends KilnTestCase {
    @Override protected String deviceName() { return "scalar"; }

    @Test
    void matmulOfUploadedTensorsMatchesHandComputation() {
        Tensor a = track(device().fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        Tensor b = track(device().fromArray(new float[] {1, 0, 0, 1, 1, 1}, 3, 2));
        Tensor c = track(a.matmul(b));
        assertArrayEquals(new float[] {4, 5, 10, 11}, c.toFloatArray());
    }

    @Test
    void freshTensorsArePoisonedAndUnwrittenOnesCannotBeRead() {
        Tensor e = track(device().empty(DType.F32, 3));
        assertThrows(UninitializedTensorException.class, e::toFloatArray);
        e.fill(2);
        assertEquals(6.0, track(e.sum()).item());
    }
}
