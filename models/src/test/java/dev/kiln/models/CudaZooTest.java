package dev.kiln.models;

/** The zoo on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaZooTest extends ZooTest {
    @Override protected String deviceName() { return "cuda"; }
}
