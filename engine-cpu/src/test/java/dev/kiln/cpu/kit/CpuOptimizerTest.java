package dev.kiln.cpu.kit;

import dev.kiln.tck.OptimizerTestCase;

/** The conformance kit's Optimizer cases on the CPU backend. */
class CpuOptimizerTest extends OptimizerTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
