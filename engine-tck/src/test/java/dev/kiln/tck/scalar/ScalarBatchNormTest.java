package dev.kiln.tck.scalar;

import dev.kiln.tck.BatchNormTestCase;

class ScalarBatchNormTest extends BatchNormTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
