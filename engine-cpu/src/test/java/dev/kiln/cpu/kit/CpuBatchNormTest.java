package dev.kiln.cpu.kit;

import dev.kiln.tck.BatchNormTestCase;

/** The conformance kit's BatchNorm cases on the CPU backend. */
class CpuBatchNormTest extends BatchNormTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
