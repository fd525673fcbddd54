package dev.kiln.tck.scalar;

import dev.kiln.tck.OptimizerStepTestCase;

/** The OptimizerStep kit cases on the primitives-only backend: proves the composite defaults. */
class ScalarOptimizerStepTest extends OptimizerStepTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
