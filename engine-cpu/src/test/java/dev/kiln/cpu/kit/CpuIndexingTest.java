package dev.kiln.cpu.kit;

import dev.kiln.tck.IndexingTestCase;

/** The conformance kit's Indexing cases on the CPU backend. */
class CpuIndexingTest extends IndexingTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
