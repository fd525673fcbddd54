package dev.kiln.opencl.kit;

import dev.kiln.tck.ConcurrencyTestCase;

/** The conformance kit's Concurrency cases on the OpenCL backend. */
class OpenClConcurrencyTest extends ConcurrencyTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
