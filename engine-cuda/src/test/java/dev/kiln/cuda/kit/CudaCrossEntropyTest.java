package dev.kiln.cuda.kit;

import dev.kiln.tck.CrossEntropyTestCase;

/** The conformance kit's CrossEntropy cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaCrossEntropyTest extends CrossEntropyTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
