package dev.kiln.cuda.kit;

import dev.kiln.tck.LayerNormTestCase;

/** The conformance kit's LayerNorm cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaLayerNormTest extends LayerNormTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
