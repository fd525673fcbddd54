package dev.kiln.cpu.kit;

import dev.kiln.tck.PoolTestCase;

/** The conformance kit's Pool cases on the CPU backend. */
class CpuPoolTest extends PoolTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
