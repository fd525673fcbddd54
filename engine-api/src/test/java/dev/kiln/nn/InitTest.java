package dev.kiln.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class InitTest {
    @Test
    void inverseNormalCdfInvertsTheCdf() {
        for (double x = -5; x <= 5; x += 0.01) {
            assertEquals(x, Init.inverseNormalCdf(Init.normalCdf(x)), 1e-9 * Math.max(1, Math.abs(x)), "x = " + x);
        }
        assertEquals(1.959963984540054, Init.inverseNormalCdf(0.975), 1e-12);
    }

    @Test
    void fansFollowPyTorch() {
        assertEquals(3 * 11 * 11, Init.fanIn(64, 3, 11, 11));
        assertEquals(64 * 11 * 11, Init.fanOut(64, 3, 11, 11));
        assertEquals(9216, Init.fanIn(4096, 9216));
    }
}
