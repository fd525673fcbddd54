package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.BackendUnavailableException;
import dev.kiln.Device;
import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.spi.BackendProvider;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;

/**
 * Base of every conformance test case. A backend's test class extends a case and names its device:
 * <pre>{@code
 * class CpuElementwiseTest extends ElementwiseTestCase {
 *     @Override protected String deviceName() { return "cpu"; }
 * }
 * }</pre>
 * What it gives each test:
 * <ul>
 *   <li>the device, or a skip carrying the backend's own reason when it is unavailable here — a
 *       failure instead when the environment variable {@code KILN_REQUIRE_BACKENDS} (comma list)
 *       names the backend, so CI cannot pass by skipping;</li>
 *   <li>a fresh seed per test ({@code -Dkiln.tck.seed=N} repeats one), printed in every failure;</li>
 *   <li>{@link #track}: tensors closed after the test, after which the device's bytes in use must be
 *       back where they started (a leak inside an op fails the test);</li>
 *   <li>{@link #assertClose}: relative L2 error against a float64 reference, NaN never passing.</li>
 * </ul>
 * Run with {@code -Dkiln.debug.poison=true} (the build sets it) so fresh outputs start as NaN.
 */
public abstract class KilnTestCase {
    /** Relative L2 error allowed for F32 results computed with F32 arithmetic. */
    public static final double F32_TOLERANCE = 1e-5;

    private final Deque<AutoCloseable> tracked = new ArrayDeque<>();
    private long baselineBytes;
    private Device device;
    protected long seed;
    protected Random rnd;
    private String testName;

    /** The device under test, as {@link Kiln#device(String)} takes it: {@code cpu}, {@code cuda:0}, ... */
    protected abstract String deviceName();

    /** Relative tolerance of this device's F32 results; a backend whose default precision is lower says so here. */
    protected double tolerance() { return F32_TOLERANCE; }

    protected final Device device() { return device; }

    @BeforeEach
    final void openDevice(TestInfo info) {
        testName = info.getDisplayName();
        String name = deviceName();
        String prefix = name.contains(":") ? name.substring(0, name.indexOf(':')) : name;
        boolean required = Arrays.stream(System.getenv().getOrDefault("KILN_REQUIRE_BACKENDS", "").split(","))
                .map(String::trim).anyMatch(prefix::equals);
        Optional<BackendProvider> provider = Kiln.providers().stream().filter(p -> p.name().equals(prefix)).findFirst();
        String why = provider.isEmpty() ? "no backend named '" + prefix + "' on the class path"
                : provider.get().unavailableReason().orElse(null);
        if (why != null) {
            if (required) fail("backend " + prefix + " is required (KILN_REQUIRE_BACKENDS) but unavailable: " + why);
            Assumptions.abort("backend " + prefix + " unavailable: " + why);
        }
        try {
            device = Kiln.device(name);
        } catch (BackendUnavailableException e) {
            if (required) throw e;
            Assumptions.abort(e.getMessage());
        }
        String fixed = System.getProperty("kiln.tck.seed");
        seed = fixed != null ? Long.parseLong(fixed) : new Random().nextLong();
        rnd = new Random(seed);
        device.synchronize();
        baselineBytes = device.bytesInUse();
    }

    @AfterEach
    final void checkMemory() throws Exception {
        if (device == null) return;
        while (!tracked.isEmpty()) tracked.pop().close();
        device.synchronize();
        assertEquals(baselineBytes, device.bytesInUse(),
                "device bytes in use after " + testName + " (" + seedNote() + "): an op leaked a tensor");
    }

    /** Closes {@code t} after the test, before the memory check. */
    protected final <T extends AutoCloseable> T track(T t) {
        tracked.push(t);
        return t;
    }

    /** Uploads a host tensor as F32 and tracks it. */
    protected final Tensor upload(HostTensor h) { return track(h.to(device)); }

    protected final HostTensor randn(int... shape) { return HostTensor.randn(rnd, shape); }

    protected final String seedNote() { return "seed " + seed + ", repeat with -Dkiln.tck.seed=" + seed; }

    /** Asserts shape and relative L2 error of {@code actual} against {@code expected} under {@link #tolerance()}. */
    protected final void assertClose(String what, HostTensor expected, Tensor actual) {
        assertClose(what, expected, actual, tolerance());
    }

    protected final void assertClose(String what, HostTensor expected, Tensor actual, double tol) {
        if (!Arrays.equals(expected.shape, actual.shape().dims())) {
            fail(what + ": shape " + actual.shape() + ", expected " + Arrays.toString(expected.shape) + " (" + seedNote() + ")");
        }
        assertClose(what, expected.data, actual.toFloatArray(), tol);
    }

    /**
     * For results that are sums or means of terms that may cancel (a mean near zero of values near one):
     * the L2 error must be under {@link #tolerance()} times the L2 norm of {@code termScale}, the same
     * reduction taken over the absolute values of the terms. Float32 summation is accurate relative to
     * the terms, not to a result that cancelled.
     */
    protected final void assertCloseToTermScale(String what, HostTensor expected, HostTensor termScale, Tensor actual) {
        if (!Arrays.equals(expected.shape, actual.shape().dims())) {
            fail(what + ": shape " + actual.shape() + ", expected " + Arrays.toString(expected.shape) + " (" + seedNote() + ")");
        }
        float[] a = actual.toFloatArray();
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i]) || Float.isInfinite(a[i])) fail(what + ": element " + i + " is " + a[i] + " (" + seedNote() + ")");
            double d = a[i] - expected.data[i];
            num += d * d;
            den += termScale.data[i] * termScale.data[i];
        }
        double rel = den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);   // no terms at all: the result must be 0
        if (!(rel <= tolerance())) {
            fail(String.format("%s: error %.3g of the terms' scale > %.3g (%s)", what, rel, tolerance(), seedNote()));
        }
    }

    /** Relative L2 error; NaN or infinity where the reference is finite fails, and the worst element is reported. */
    protected final void assertClose(String what, double[] expected, float[] actual, double tol) {
        if (expected.length != actual.length) fail(what + ": " + actual.length + " elements, expected " + expected.length + " (" + seedNote() + ")");
        double num = 0, den = 0, worst = -1;
        int worstAt = -1;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(e) != Double.isNaN(a) || (Double.isInfinite(e) && e != a) || (!Double.isInfinite(e) && Double.isInfinite(a))) {
                fail(what + ": element " + i + " is " + a + ", expected " + e + " (" + seedNote() + ")");
            }
            if (Double.isNaN(e) || Double.isInfinite(e)) continue;
            double d = a - e;
            num += d * d;
            den += e * e;
            if (Math.abs(d) > worst) {
                worst = Math.abs(d);
                worstAt = i;
            }
        }
        double rel = den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
        if (!(rel <= tol)) {
            fail(String.format("%s: relative error %.3g > %.3g; worst element %d: %s vs expected %s (%s)", what, rel, tol, worstAt,
                    actual[worstAt], expected[worstAt], seedNote()));
        }
    }

    /** Exact comparison, for integer results and data movement. */
    protected final void assertExact(String what, double[] expected, Tensor actual) {
        double[] a = actual.dtype().isFloating() ? toDouble(actual.toFloatArray()) : Arrays.stream(actual.toLongArray()).asDoubleStream().toArray();
        for (int i = 0; i < expected.length; i++) {
            if (Double.compare(expected[i], a[i]) != 0 && !(expected[i] == 0 && a[i] == 0)) {
                fail(what + ": element " + i + " is " + a[i] + ", expected " + expected[i] + " (" + seedNote() + ")");
            }
        }
        assertEquals(expected.length, a.length, what + ": element count");
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
