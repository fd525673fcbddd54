package dev.kiln.tck.scalar;

import dev.kiln.tck.LrnTestCase;

class ScalarLrnTest extends LrnTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
