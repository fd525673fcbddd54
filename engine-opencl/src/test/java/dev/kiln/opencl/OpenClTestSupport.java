package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.spi.Backend;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;

/**
 * Base of the backend's own tests: opens opencl:0 once per class, skips through an assumption that
 * carries the provider's reason when no OpenCL platform exists (or fails, when KILN_REQUIRE_BACKENDS
 * names opencl), gives each test a fresh seed it prints on failure, and checks that device bytes in
 * use return to their starting value after every test.
 */
abstract class OpenClTestSupport {
    static Backend backend;
    private static Optional<String> unavailable = Optional.empty();
    long seed;
    Random rnd;
    private long baselineBytes;

    @BeforeAll
    static void open() {
        OpenClProvider provider = new OpenClProvider();
        unavailable = provider.unavailableReason();
        if (unavailable.isPresent()) {
            if (required()) fail("KILN_REQUIRE_BACKENDS names opencl, but it is unavailable: " + unavailable.get());
            return;   // each test reports itself skipped, with the reason
        }
        if (backend == null) backend = provider.open(0);
    }

    static boolean required() {
        String env = System.getenv("KILN_REQUIRE_BACKENDS");
        return env != null && Arrays.stream(env.split(",")).map(String::trim).anyMatch("opencl"::equalsIgnoreCase);
    }

    @BeforeEach
    void seed(TestInfo info) {
        Assumptions.assumeTrue(unavailable.isEmpty(), () -> "opencl unavailable: " + unavailable.orElse(""));
        seed = Long.getLong("kiln.tck.seed", System.nanoTime() ^ info.getDisplayName().hashCode());   // -Dkiln.tck.seed repeats a failure
        rnd = new Random(seed);
        baselineBytes = backend.bytesInUse();
    }

    @AfterEach
    void memoryReturns() {
        if (backend == null) return;
        backend.synchronize();
        assertEquals(baselineBytes, backend.bytesInUse(), "device bytes in use after the test (seed " + seed + ")");
    }

    @AfterAll
    static void keepOpen() {
        // One backend serves every test class of the run, as one device does for an application.
    }

    /** A device result widened for comparison with a float64 reference. */
    static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    String seedNote() { return " (seed " + seed + ", repeat with -Dkiln.tck.seed=" + seed + ")"; }
}
