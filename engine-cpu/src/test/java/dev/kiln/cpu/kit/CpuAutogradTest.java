package dev.kiln.cpu.kit;

import dev.kiln.tck.AutogradTestCase;

/** The conformance kit's Autograd cases on the CPU backend. */
class CpuAutogradTest extends AutogradTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
