package dev.kiln.cpu.kit;

import dev.kiln.tck.LrnTestCase;

/** The conformance kit's Lrn cases on the CPU backend. */
class CpuLrnTest extends LrnTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
