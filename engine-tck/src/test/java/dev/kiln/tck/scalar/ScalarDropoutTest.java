package dev.kiln.tck.scalar;

import dev.kiln.tck.DropoutTestCase;

class ScalarDropoutTest extends DropoutTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
