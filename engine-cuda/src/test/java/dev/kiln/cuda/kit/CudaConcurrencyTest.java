package dev.kiln.cuda.kit;

import dev.kiln.tck.ConcurrencyTestCase;

/** The conformance kit's Concurrency cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaConcurrencyTest extends ConcurrencyTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
