package dev.kiln.cpu.kit;

import dev.kiln.tck.MatmulTestCase;

/** The conformance kit's Matmul cases on the CPU backend. */
class CpuMatmulTest extends MatmulTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
