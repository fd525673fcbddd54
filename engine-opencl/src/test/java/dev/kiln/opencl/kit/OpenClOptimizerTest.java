package dev.kiln.opencl.kit;

import dev.kiln.tck.OptimizerTestCase;

/** The conformance kit's Optimizer cases on the OpenCL backend. */
class OpenClOptimizerTest extends OptimizerTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
