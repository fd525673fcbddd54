package dev.kiln.cpu.kit;

import dev.kiln.tck.RnnTestCase;

/** The conformance kit's Rnn cases on the CPU backend. */
class CpuRnnTest extends RnnTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
