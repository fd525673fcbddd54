package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Pool2dParams;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class PoolGeometryTest {
    @Test
    void alexNetPoolingShapesAndStructLayout() {
        Pool2dParams p = Pool2dParams.of(3, 2, 0);
        PoolGeometry g = PoolGeometry.of(new int[] {128, 64, 55, 55}, p);
        assertEquals(128 * 64, g.planes());
        assertArrayEquals(new int[] {128, 64, 27, 27}, g.outputShape(new int[] {128, 64, 55, 55}));
        ByteBuffer bb = ByteBuffer.wrap(g.pack()).order(ByteOrder.LITTLE_ENDIAN);
        int[] fields = new int[12];
        for (int i = 0; i < 12; i++) fields[i] = bb.getInt(i * 4);
        assertArrayEquals(new int[] {55, 55, 27, 27, 3, 3, 2, 2, 0, 0, 1, 0}, fields);
        assertFalse(g.empty());
    }

    @Test
    void ceilModeAndExcludedPadding() {
        Pool2dParams p = new Pool2dParams(3, 2, 2, 2, 1, 1, true, false);
        PoolGeometry g = PoolGeometry.of(new int[] {7, 8}, p);
        assertEquals(1, g.planes());
        assertEquals(p.outH(7), g.oh());
        assertEquals(p.outW(8), g.ow());
        assertEquals(0, ByteBuffer.wrap(g.pack()).order(ByteOrder.LITTLE_ENDIAN).getInt(40));
        assertTrue(PoolGeometry.of(new int[] {0, 3, 4, 4}, Pool2dParams.of(2, 2, 0)).empty());
    }
}
