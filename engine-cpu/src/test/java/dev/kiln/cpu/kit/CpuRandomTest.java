package dev.kiln.cpu.kit;

import dev.kiln.tck.RandomTestCase;

/** The conformance kit's Random cases on the CPU backend. */
class CpuRandomTest extends RandomTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
