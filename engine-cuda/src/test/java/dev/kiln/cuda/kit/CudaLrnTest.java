package dev.kiln.cuda.kit;

import dev.kiln.tck.LrnTestCase;

/** The conformance kit's Lrn cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaLrnTest extends LrnTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
