package dev.kiln.opencl.kit;

import dev.kiln.tck.ConvTestCase;

/** The conformance kit's Conv cases on the OpenCL backend. */
class OpenClConvTest extends ConvTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
