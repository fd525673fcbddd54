package dev.kiln.cpu.kit;

import dev.kiln.tck.OptimizerStepTestCase;

/** The conformance kit's OptimizerStep cases on the CPU backend. */
class CpuOptimizerStepTest extends OptimizerStepTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
