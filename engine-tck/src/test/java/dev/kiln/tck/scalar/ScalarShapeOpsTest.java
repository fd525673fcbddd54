package dev.kiln.tck.scalar;

import dev.kiln.tck.ShapeOpsTestCase;

class ScalarShapeOpsTest extends ShapeOpsTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
