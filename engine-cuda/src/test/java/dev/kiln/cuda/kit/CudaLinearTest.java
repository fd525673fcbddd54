package dev.kiln.cuda.kit;

import dev.kiln.tck.LinearTestCase;

/** The conformance kit's Linear cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaLinearTest extends LinearTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
