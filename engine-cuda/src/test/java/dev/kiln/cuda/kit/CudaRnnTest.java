package dev.kiln.cuda.kit;

import dev.kiln.tck.RnnTestCase;

/** The conformance kit's Rnn cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaRnnTest extends RnnTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
