package dev.kiln.opencl.kit;

import dev.kiln.tck.AttentionTestCase;

/** The conformance kit's Attention cases on the OpenCL backend. */
class OpenClAttentionTest extends AttentionTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
