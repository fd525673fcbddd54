package dev.kiln.tck.scalar;

import dev.kiln.tck.ConvTestCase;

/** The conv kit cases on the primitives-only backend: proves the composite defaults. */
class ScalarConvTest extends ConvTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
