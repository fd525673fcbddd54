package dev.kiln.cuda.kit;

import dev.kiln.tck.TrainingStepTestCase;

/** The conformance kit's TrainingStep cases on the Cuda backend. */
class CudaTrainingStepTest extends TrainingStepTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
