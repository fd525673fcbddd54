package dev.kiln.cuda.kit;

import dev.kiln.tck.BatchNormTestCase;

/** The conformance kit's BatchNorm cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaBatchNormTest extends BatchNormTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
