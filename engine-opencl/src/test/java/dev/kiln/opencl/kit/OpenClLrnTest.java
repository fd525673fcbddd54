package dev.kiln.opencl.kit;

import dev.kiln.tck.LrnTestCase;

/** The conformance kit's Lrn cases on the OpenCL backend. */
class OpenClLrnTest extends LrnTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
