package dev.kiln.cpu.kit;

import dev.kiln.tck.ShapeOpsTestCase;

/** The conformance kit's ShapeOps cases on the CPU backend. */
class CpuShapeOpsTest extends ShapeOpsTestCase {
    @Override protected String deviceName() { return "cpu"; }
}
