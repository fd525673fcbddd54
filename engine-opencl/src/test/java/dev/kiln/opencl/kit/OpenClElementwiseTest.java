package dev.kiln.opencl.kit;

import dev.kiln.tck.ElementwiseTestCase;

/** The conformance kit's Elementwise cases on the OpenCL backend. */
class OpenClElementwiseTest extends ElementwiseTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
