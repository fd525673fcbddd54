package dev.kiln.tck.scalar;

import dev.kiln.tck.RnnTestCase;

class ScalarRnnTest extends RnnTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
