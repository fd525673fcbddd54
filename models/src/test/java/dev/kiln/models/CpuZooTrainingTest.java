package dev.kiln.models;

/** Zoo training steps on the pure-Java CPU backend. */
class CpuZooTrainingTest extends ZooTrainingTest {
    @Override protected String deviceName() { return "cpu"; }
}
