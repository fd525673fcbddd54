package dev.kiln.opencl.kit;

import dev.kiln.tck.OptimizerStepTestCase;

/** The conformance kit's OptimizerStep cases on the OpenCl backend. */
class OpenClOptimizerStepTest extends OptimizerStepTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
