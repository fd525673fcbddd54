package dev.kiln.tck.scalar;

import dev.kiln.tck.LinearTestCase;

/** The linear kit cases on the primitives-only backend: proves the composite defaults. */
class ScalarLinearTest extends LinearTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
