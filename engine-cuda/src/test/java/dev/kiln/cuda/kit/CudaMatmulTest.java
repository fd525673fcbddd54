package dev.kiln.cuda.kit;

import dev.kiln.tck.MatmulTestCase;

/** The conformance kit's Matmul cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaMatmulTest extends MatmulTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
