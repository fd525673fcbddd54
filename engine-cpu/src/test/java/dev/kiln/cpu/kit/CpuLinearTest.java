package dev.kiln.cpu.kit;

import dev.kiln.tck.LinearTestCase;

/** The conformance kit's Linear cases on the CPU backend. */
class CpuLinearTest extends LinearTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
