package dev.kiln.tck.scalar;

import dev.kiln.tck.TrainingStepTestCase;

/** The TrainingStep kit cases on the primitives-only backend: proves the composite defaults. */
class ScalarTrainingStepTest extends TrainingStepTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
