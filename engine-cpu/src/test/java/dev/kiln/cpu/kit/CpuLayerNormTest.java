package dev.kiln.cpu.kit;

import dev.kiln.tck.LayerNormTestCase;

/** The conformance kit's LayerNorm cases on the CPU backend. */
class CpuLayerNormTest extends LayerNormTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
