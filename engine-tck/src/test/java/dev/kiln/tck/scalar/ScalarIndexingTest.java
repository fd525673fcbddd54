package dev.kiln.tck.scalar;

import dev.kiln.tck.IndexingTestCase;

class ScalarIndexingTest extends IndexingTestCase {
    @Override protected String deviceName() { return "scalar"; }
}
