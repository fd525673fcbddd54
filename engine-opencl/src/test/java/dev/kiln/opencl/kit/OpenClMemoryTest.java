package dev.kiln.opencl.kit;

import dev.kiln.tck.MemoryTestCase;

/** The conformance kit's Memory cases on the OpenCL backend. */
class OpenClMemoryTest extends MemoryTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
