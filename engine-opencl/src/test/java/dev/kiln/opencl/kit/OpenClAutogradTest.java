package dev.kiln.opencl.kit;

import dev.kiln.tck.AutogradTestCase;

/** The conformance kit's Autograd cases on the OpenCl backend. */
class OpenClAutogradTest extends AutogradTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
