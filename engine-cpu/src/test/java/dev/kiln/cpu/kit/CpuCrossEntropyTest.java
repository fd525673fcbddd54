package dev.kiln.cpu.kit;

import dev.kiln.tck.CrossEntropyTestCase;

/** The conformance kit's CrossEntropy cases on the CPU backend. */
class CpuCrossEntropyTest extends CrossEntropyTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
