package dev.kiln.cuda.kit;

import dev.kiln.tck.ElementwiseTestCase;

/** The conformance kit's Elementwise cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaElementwiseTest extends ElementwiseTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
