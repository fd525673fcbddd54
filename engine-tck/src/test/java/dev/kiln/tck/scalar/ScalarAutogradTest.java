package dev.kiln.tck.scalar;

import dev.kiln.tck.AutogradTestCase;

/** The Autograd kit cases on the primitives-only backend: proves the composite defaults. */
class ScalarAutogradTest extends AutogradTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
