package dev.kiln.tck.scalar;

import dev.kiln.tck.LayerNormTestCase;

class ScalarLayerNormTest extends LayerNormTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
