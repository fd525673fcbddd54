package dev.kiln.cuda.kit;

import dev.kiln.tck.PoolTestCase;

/** The conformance kit's Pool cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaPoolTest extends PoolTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
