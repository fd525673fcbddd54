package dev.kiln.cuda.kit;

import dev.kiln.tck.AttentionTestCase;

/** The conformance kit's Attention cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaAttentionTest extends AttentionTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
