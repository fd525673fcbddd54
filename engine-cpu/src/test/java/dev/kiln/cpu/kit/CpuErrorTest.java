package dev.kiln.cpu.kit;

import dev.kiln.tck.ErrorTestCase;

/** The conformance kit's Error cases on the CPU backend. */
class CpuErrorTest extends ErrorTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
