package dev.kiln.cuda.kit;

import dev.kiln.tck.RandomTestCase;

/** The conformance kit's Random cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaRandomTest extends RandomTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
