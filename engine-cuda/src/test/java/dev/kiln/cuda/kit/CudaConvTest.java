package dev.kiln.cuda.kit;

import dev.kiln.tck.ConvTestCase;

/** The conformance kit's Conv cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaConvTest extends ConvTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
