package dev.kiln.cpu.kit;

import dev.kiln.tck.TrainingStepTestCase;

/** The conformance kit's TrainingStep cases on the CPU backend. */
class CpuTrainingStepTest extends TrainingStepTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
