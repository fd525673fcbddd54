package dev.kiln.tck.scalar;

import dev.kiln.tck.ConcurrencyTestCase;

class ScalarConcurrencyTest extends ConcurrencyTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
