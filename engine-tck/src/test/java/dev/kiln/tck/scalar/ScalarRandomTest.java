package dev.kiln.tck.scalar;

import dev.kiln.tck.RandomTestCase;

class ScalarRandomTest extends RandomTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
