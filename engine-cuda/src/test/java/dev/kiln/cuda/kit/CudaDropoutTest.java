package dev.kiln.cuda.kit;

import dev.kiln.tck.DropoutTestCase;

/** The conformance kit's Dropout cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaDropoutTest extends DropoutTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
