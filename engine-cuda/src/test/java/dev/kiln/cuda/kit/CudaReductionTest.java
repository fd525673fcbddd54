package dev.kiln.cuda.kit;

import dev.kiln.tck.ReductionTestCase;

/** The conformance kit's Reduction cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaReductionTest extends ReductionTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
