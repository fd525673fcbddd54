package dev.kiln.tck.scalar;

import dev.kiln.tck.PoolTestCase;

/** The pool kit cases on the primitives-only backend: proves the composite defaults. */
class ScalarPoolTest extends PoolTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
