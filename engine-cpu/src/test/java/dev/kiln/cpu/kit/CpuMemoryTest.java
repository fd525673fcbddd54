package dev.kiln.cpu.kit;

import dev.kiln.tck.MemoryTestCase;

/** The conformance kit's Memory cases on the CPU backend. */
class CpuMemoryTest extends MemoryTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
