package dev.kiln.tck.scalar;

import dev.kiln.tck.OptimizerTestCase;

class ScalarOptimizerTest extends OptimizerTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
