package dev.kiln;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ShapeTest {
    @Test
    void broadcastFollowsNumpyRules() {
        assertEquals(Shape.of(2, 3, 4), Shape.broadcast(Shape.of(3, 1), Shape.of(2, 1, 4)));
        assertEquals(Shape.of(5), Shape.broadcast(Shape.scalar(), Shape.of(5)));
        assertEquals(Shape.of(0, 3), Shape.broadcast(Shape.of(0, 1), Shape.of(3)));
        assertNull(Shape.broadcast(Shape.of(2, 3), Shape.of(4)));
    }

    @Test
    void stridesAreRowMajor() {
        assertArrayEquals(new long[] {12, 4, 1}, Shape.of(2, 3, 4).contiguousStrides());
        assertEquals(1, Shape.scalar().numel());
    }

    @Test
    void negativeAndOverflowingShapesAreRejected() {
        assertThrows(ShapeException.class, () -> Shape.of(2, -1));
        assertThrows(ShapeException.class, () -> Shape.of(1 << 30, 1 << 30, 4));
        assertThrows(ShapeException.class, () -> Shape.of(2, 3).normalizeAxis(2));
        assertEquals(1, Shape.of(2, 3).normalizeAxis(-1));
    }

    @Test
    void poolOutputSizesFollowPyTorch() {
        // torch.nn.MaxPool2d(3, 2) on 55 -> 27; ceil_mode on 56 -> 28 (floor gives 27)
        assertEquals(27, Pool2dParams.of(3, 2, 0).outH(55));
        assertEquals(27, Pool2dParams.of(3, 2, 0).outH(56));
        assertEquals(28, Pool2dParams.of(3, 2, 0).withCeilMode(true).outH(56));
        // ceil mode never starts a window in the right padding: k=2, s=2, p=1 on 4 -> 3
        assertEquals(3, Pool2dParams.of(2, 2, 1).withCeilMode(true).outH(4));
        assertEquals(55, Conv2dParams.of(4, 2).outH(224, 11));
    }
}
