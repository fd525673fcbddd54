package dev.kiln.cuda.kit;

import dev.kiln.tck.ErrorTestCase;

/** The conformance kit's Error cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaErrorTest extends ErrorTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
