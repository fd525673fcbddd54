package dev.kiln.models;

/** Zoo training steps on the CUDA (skipped, with the reason, where no GPU is present) backend. */
class CudaZooTrainingTest extends ZooTrainingTest {
    @Override protected String deviceName() { return "cuda"; }
}
