package dev.kiln.opencl.kit;

import dev.kiln.tck.BatchNormTestCase;

/** The conformance kit's BatchNorm cases on the OpenCL backend. */
class OpenClBatchNormTest extends BatchNormTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
