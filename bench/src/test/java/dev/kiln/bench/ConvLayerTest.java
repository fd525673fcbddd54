package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConvLayerTest {
    private static ConvLayer layer(String name) { return ConvLayer.byName(name).orElseThrow(); }

    @Test
    void alexNetOutputsMatchTorchvision() {
        // torchvision AlexNet feature maps: 64x55x55, (pool) 192x27x27, (pool) 384/256/256 x13x13
        assertEquals(55, layer("alexnet.conv1").outH());
        assertEquals(27, layer("alexnet.conv2").outH());
        assertEquals(13, layer("alexnet.conv5").outW());
    }

    @Test
    void googLeNetOutputsMatchTorchvision() {
        assertEquals(112, layer("googlenet.conv1").outH());
        assertEquals(56, layer("googlenet.conv3").outW());
        assertEquals(28, layer("googlenet.3a.5x5").outH());
        assertEquals(7, layer("googlenet.5b.1x1").outH());
    }

    @Test
    void eachLayerFeedsOnAnInputOfItsOwnSize() {
        for (ConvLayer l : ConvLayer.ALL) {
            // "same" convolutions keep the size; the strided stems shrink it by the stride
            assertEquals((l.inH() + 2 * l.padding() - l.kernel()) / l.stride() + 1, l.outH(), l.name());
        }
    }

    @Test
    void flopsCountMultiplyAddsTwice() {
        // AlexNet conv1: 64*55*55 outputs, each 3*11*11 multiply-adds
        assertEquals(2.0 * 64 * 55 * 55 * 3 * 11 * 11, layer("alexnet.conv1").flops(1));
        assertEquals(32 * layer("googlenet.3a.3x3").flops(1), layer("googlenet.3a.3x3").flops(32));
    }

    @Test
    void namesAreUnique() {
        Set<String> names = new HashSet<>();
        for (ConvLayer l : ConvLayer.ALL) assertTrue(names.add(l.name()), l.name());
        assertEquals(15, names.size());
    }
}
