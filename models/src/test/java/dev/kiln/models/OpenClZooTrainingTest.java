package dev.kiln.models;

/** Zoo training steps on the OpenCL (PoCL in CI) backend. */
class OpenClZooTrainingTest extends ZooTrainingTest {
    @Override protected String deviceName() { return "opencl"; }
}
