package dev.kiln.opencl.kit;

import dev.kiln.tck.IndexingTestCase;

/** The conformance kit's Indexing cases on the OpenCL backend. */
class OpenClIndexingTest extends IndexingTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
