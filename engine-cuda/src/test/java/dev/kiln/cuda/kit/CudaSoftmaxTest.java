package dev.kiln.cuda.kit;

import dev.kiln.tck.SoftmaxTestCase;

/** The conformance kit's Softmax cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaSoftmaxTest extends SoftmaxTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
