package dev.kiln.opencl.kit;

import dev.kiln.tck.ShapeOpsTestCase;

/** The conformance kit's ShapeOps cases on the OpenCL backend. */
class OpenClShapeOpsTest extends ShapeOpsTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
