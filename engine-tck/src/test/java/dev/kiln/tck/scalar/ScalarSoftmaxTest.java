package dev.kiln.tck.scalar;

import dev.kiln.tck.SoftmaxTestCase;

class ScalarSoftmaxTest extends SoftmaxTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
