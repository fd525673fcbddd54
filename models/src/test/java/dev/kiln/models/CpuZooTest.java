package dev.kiln.models;

/** The zoo on the pure-Java CPU backend. */
class CpuZooTest extends ZooTest {
    @Override protected String deviceName() { return "cpu"; }
}
