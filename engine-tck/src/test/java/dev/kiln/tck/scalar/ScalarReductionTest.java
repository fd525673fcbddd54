package dev.kiln.tck.scalar;

import dev.kiln.tck.ReductionTestCase;

class ScalarReductionTest extends ReductionTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
