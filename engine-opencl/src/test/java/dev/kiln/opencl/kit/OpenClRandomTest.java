package dev.kiln.opencl.kit;

import dev.kiln.tck.RandomTestCase;

/** The conformance kit's Random cases on the OpenCL backend. */
class OpenClRandomTest extends RandomTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
