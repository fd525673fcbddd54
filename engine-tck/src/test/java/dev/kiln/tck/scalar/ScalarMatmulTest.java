package dev.kiln.tck.scalar;

import dev.kiln.tck.MatmulTestCase;

class ScalarMatmulTest extends MatmulTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
