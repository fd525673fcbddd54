package dev.kiln.models;

/** The zoo on the OpenCL backend (PoCL in CI). */
class OpenClZooTest extends ZooTest {
    @Override protected String deviceName() { return "opencl"; }
}
