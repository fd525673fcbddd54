package dev.kiln.cpu.kit;

import dev.kiln.tck.DropoutTestCase;

/** The conformance kit's Dropout cases on the CPU backend. */
class CpuDropoutTest extends DropoutTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
