package dev.kiln.cuda.kit;

import dev.kiln.tck.MemoryTestCase;

/** The conformance kit's Memory cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaMemoryTest extends MemoryTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
