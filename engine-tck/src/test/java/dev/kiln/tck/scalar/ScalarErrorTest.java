package dev.kiln.tck.scalar;

import dev.kiln.tck.ErrorTestCase;

class ScalarErrorTest extends ErrorTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
