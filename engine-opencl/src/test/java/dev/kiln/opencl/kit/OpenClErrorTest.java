package dev.kiln.opencl.kit;

import dev.kiln.tck.ErrorTestCase;

/** The conformance kit's Error cases on the OpenCL backend. */
class OpenClErrorTest extends ErrorTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
