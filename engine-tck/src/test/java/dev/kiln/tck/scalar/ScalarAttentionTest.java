package dev.kiln.tck.scalar;

import dev.kiln.tck.AttentionTestCase;

class ScalarAttentionTest extends AttentionTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
