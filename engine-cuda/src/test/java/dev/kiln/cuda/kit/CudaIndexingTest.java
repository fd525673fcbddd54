package dev.kiln.cuda.kit;

import dev.kiln.tck.IndexingTestCase;

/** The conformance kit's Indexing cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaIndexingTest extends IndexingTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
