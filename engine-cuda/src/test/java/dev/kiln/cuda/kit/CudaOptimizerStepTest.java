package dev.kiln.cuda.kit;

import dev.kiln.tck.OptimizerStepTestCase;

/** The conformance kit's OptimizerStep cases on the Cuda backend. */
class CudaOptimizerStepTest extends OptimizerStepTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
