package dev.kiln.cpu.kit;

import dev.kiln.tck.ReductionTestCase;

/** The conformance kit's Reduction cases on the CPU backend. */
class CpuReductionTest extends ReductionTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
