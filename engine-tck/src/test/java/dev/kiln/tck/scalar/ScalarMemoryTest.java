package dev.kiln.tck.scalar;

import dev.kiln.tck.MemoryTestCase;

class ScalarMemoryTest extends MemoryTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
