package dev.kiln.opencl.kit;

import dev.kiln.tck.TrainingStepTestCase;

/** The conformance kit's TrainingStep cases on the OpenCl backend. */
class OpenClTrainingStepTest extends TrainingStepTestCase {
    @Override protected String deviceName() { return "opencl"; }
}
