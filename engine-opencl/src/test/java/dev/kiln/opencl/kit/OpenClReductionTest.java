package dev.kiln.opencl.kit;

import dev.kiln.tck.ReductionTestCase;

/** The conformance kit's Reduction cases on the OpenCL backend. */
class OpenClReductionTest extends ReductionTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
