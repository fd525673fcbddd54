package dev.kiln.opencl.kit;

import dev.kiln.tck.DropoutTestCase;

/** The conformance kit's Dropout cases on the OpenCL backend. */
class OpenClDropoutTest extends DropoutTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
