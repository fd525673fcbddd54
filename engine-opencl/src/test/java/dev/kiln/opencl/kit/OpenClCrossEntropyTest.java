package dev.kiln.opencl.kit;

import dev.kiln.tck.CrossEntropyTestCase;

/** The conformance kit's CrossEntropy cases on the OpenCL backend. */
class OpenClCrossEntropyTest extends CrossEntropyTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
