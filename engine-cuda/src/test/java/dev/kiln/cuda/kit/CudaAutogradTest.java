package dev.kiln.cuda.kit;

import dev.kiln.tck.AutogradTestCase;

/** The conformance kit's Autograd cases on the Cuda backend. */
class CudaAutogradTest extends AutogradTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
