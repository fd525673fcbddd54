package dev.kiln.opencl.kit;

import dev.kiln.tck.LayerNormTestCase;

/** The conformance kit's LayerNorm cases on the OpenCL backend. */
class OpenClLayerNormTest extends LayerNormTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
