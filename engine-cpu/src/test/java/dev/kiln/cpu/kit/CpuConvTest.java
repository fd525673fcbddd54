package dev.kiln.cpu.kit;

import dev.kiln.tck.ConvTestCase;

/** The conformance kit's Conv cases on the CPU backend. */
class CpuConvTest extends ConvTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
