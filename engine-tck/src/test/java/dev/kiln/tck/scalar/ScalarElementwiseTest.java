package dev.kiln.tck.scalar;

import dev.kiln.tck.ElementwiseTestCase;

class ScalarElementwiseTest extends ElementwiseTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
