package dev.kiln.opencl.kit;

import dev.kiln.tck.MatmulTestCase;

/** The conformance kit's Matmul cases on the OpenCL backend. */
class OpenClMatmulTest extends MatmulTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
