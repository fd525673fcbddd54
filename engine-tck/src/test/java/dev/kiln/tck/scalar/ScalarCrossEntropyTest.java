package dev.kiln.tck.scalar;

import dev.kiln.tck.CrossEntropyTestCase;

class ScalarCrossEntropyTest extends CrossEntropyTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
