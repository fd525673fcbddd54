package dev.kiln.cpu.kit;

import dev.kiln.tck.ConcurrencyTestCase;

/** The conformance kit's Concurrency cases on the CPU backend. */
class CpuConcurrencyTest extends ConcurrencyTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
