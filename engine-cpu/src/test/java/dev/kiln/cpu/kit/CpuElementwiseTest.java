package dev.kiln.cpu.kit;

import dev.kiln.tck.ElementwiseTestCase;

/** The conformance kit's Elementwise cases on the CPU backend. */
class CpuElementwiseTest extends ElementwiseTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
