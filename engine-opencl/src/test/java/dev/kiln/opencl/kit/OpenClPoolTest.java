package dev.kiln.opencl.kit;

import dev.kiln.tck.PoolTestCase;

/** The conformance kit's Pool cases on the OpenCL backend. */
class OpenClPoolTest extends PoolTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
