package dev.kiln.cpu.kit;

import dev.kiln.tck.AttentionTestCase;

/** The conformance kit's Attention cases on the CPU backend. */
class CpuAttentionTest extends AttentionTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
