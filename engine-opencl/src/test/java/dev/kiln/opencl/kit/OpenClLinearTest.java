package dev.kiln.opencl.kit;

import dev.kiln.tck.LinearTestCase;

/** The conformance kit's Linear cases on the OpenCL backend. */
class OpenClLinearTest extends LinearTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
