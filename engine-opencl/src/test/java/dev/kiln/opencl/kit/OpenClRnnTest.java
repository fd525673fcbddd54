package dev.kiln.opencl.kit;

import dev.kiln.tck.RnnTestCase;

/** The conformance kit's Rnn cases on the OpenCL backend. */
class OpenClRnnTest extends RnnTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
