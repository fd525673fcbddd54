package dev.kiln.cuda.kit;

import dev.kiln.tck.OptimizerTestCase;

/** The conformance kit's Optimizer cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaOptimizerTest extends OptimizerTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
