package dev.kiln.cpu.kit;

import dev.kiln.tck.SoftmaxTestCase;

/** The conformance kit's Softmax cases on the CPU backend. */
class CpuSoftmaxTest extends SoftmaxTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
