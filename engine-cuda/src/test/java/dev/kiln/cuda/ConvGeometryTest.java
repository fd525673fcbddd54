package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.BackendException;
import dev.kiln.Conv2dParams;
import dev.kiln.ShapeException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConvGeometryTest {
    @Test
    void alexNetFirstLayer() {
        ConvGeometry g = ConvGeometry.of(new int[] {128, 3, 224, 224}, new int[] {64, 3, 11, 11}, new Conv2dParams(4, 4, 2, 2, 1, 1, 1));
        assertArrayEquals(new int[] {128, 64, 55, 55}, g.output());
        assertArrayEquals(new int[] {64, 3, 11, 11}, g.weight());
        assertArrayEquals(new int[] {128, 3, 224, 224}, g.input());
    }

    @Test
    void groupsDilationAndAsymmetricParameters() {
        ConvGeometry g = ConvGeometry.of(new int[] {2, 8, 17, 9}, new int[] {12, 2, 3, 2}, new Conv2dParams(2, 1, 1, 0, 2, 3, 4));
        // OH = (17 + 2 - 2*2 - 1) / 2 + 1 = 8; OW = (9 - 3*1 - 1) / 1 + 1 = 6
        assertArrayEquals(new int[] {2, 12, 8, 6}, g.output());
        assertEquals(4, g.groups());
        assertArrayEquals(new int[] {12, 2, 3, 2}, g.weight());
    }

    @Test
    void mismatchedChannelsAreAShapeError() {
        ShapeException e = assertThrows(ShapeException.class,
                () -> ConvGeometry.of(new int[] {1, 3, 8, 8}, new int[] {4, 2, 3, 3}, Conv2dParams.of(1, 0)));
        assertEquals("conv2d: input [1, 3, 8, 8] with weight [4, 2, 3, 3] and 1 groups: expected C = weight[1] * groups"
                + " and OC divisible by groups", e.getMessage());
        assertThrows(ShapeException.class, () -> ConvGeometry.of(new int[] {1, 3, 2, 2}, new int[] {4, 3, 3, 3}, Conv2dParams.of(1, 0)));
    }

    @Test
    void geometriesKeyTheAlgorithmCacheByValue() {
        Conv2dParams p = Conv2dParams.of(1, 1);
        assertEquals(ConvGeometry.of(new int[] {1, 3, 8, 8}, new int[] {4, 3, 3, 3}, p),
                ConvGeometry.of(new int[] {1, 3, 8, 8}, new int[] {4, 3, 3, 3}, p));
    }

    @Test
    void algorithmChoiceTakesTheFastestSuccessfulOneThatFits() {
        // cuDNN sorts results by time: {algo, status, memory}
        List<long[]> results = List.of(new long[] {7, 3000, 0}, new long[] {6, 0, 1 << 30}, new long[] {1, 0, 4096},
                new long[] {0, 0, 0});
        assertEquals(new Cudnn.Algorithm(1, 4096), Cudnn.choose(results, 1 << 20, Cudnn.Direction.FORWARD));
        assertEquals(new Cudnn.Algorithm(0, 0), Cudnn.choose(results, 0, Cudnn.Direction.FORWARD));
        BackendException e = assertThrows(BackendException.class,
                () -> Cudnn.choose(List.of(new long[] {7, 3000, 0}), 0, Cudnn.Direction.BACKWARD_DATA));
        assertEquals("CUDNN_STATUS_NOT_SUPPORTED", e.libraryError());
    }

    @Test
    void cudnnStatusNames() {
        assertEquals("CUDNN_STATUS_BAD_PARAM", CudnnStatus.name(2000));
        assertEquals("CUDNN_STATUS_NOT_SUPPORTED", CudnnStatus.name(3000));
        assertEquals("CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED", CudnnStatus.name(1008));
        assertEquals("CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER", CudnnStatus.name(5001));
        assertEquals("CUDNN_STATUS_UNKNOWN(1)", CudnnStatus.name(1));
    }
}
