package dev.kiln.opencl.kit;

import dev.kiln.tck.SoftmaxTestCase;

/** The conformance kit's Softmax cases on the OpenCL backend. */
class OpenClSoftmaxTest extends SoftmaxTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
