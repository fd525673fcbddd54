/**
 * The Kiln conformance kit (TCK): abstract JUnit 5 test cases that every backend runs, the way a
 * Lucene codec extends Lucene's {@code Base*TestCase} classes.
 *
 * <h2>Running the kit on a plugin</h2>
 * <ol>
 *   <li>Depend on {@code dev.kiln:engine-tck} with test scope, next to your backend, and register
 *       your {@link dev.kiln.spi.BackendProvider} in
 *       {@code META-INF/services/dev.kiln.spi.BackendProvider}.</li>
 *   <li>For each case, write one test class that names your device:
 * <pre>{@code
 * class MyMemoryTest extends MemoryTestCase { @Override protected String deviceName() { return "mydev:0"; } }
 * class MyElementwiseTest extends ElementwiseTestCase { @Override protected String deviceName() { return "mydev:0"; } }
 * // ReductionTestCase, MatmulTestCase, ShapeOpsTestCase, IndexingTestCase, RandomTestCase,
 * // ErrorTestCase, ConcurrencyTestCase, and the fast-path cases (conv, pooling, norms, RNNs, ...)
 * }</pre></li>
 *   <li>Run the tests with {@code -Dkiln.debug.poison=true} (fresh tensors start as NaN, so an
 *       element a kernel forgets to write fails the comparison), and with
 *       {@code KILN_REQUIRE_BACKENDS=mydev} in CI so an unavailable backend fails instead of
 *       skipping. A backend whose F32 results are less precise overrides
 *       {@link dev.kiln.tck.KilnTestCase#tolerance()} and says why.</li>
 * </ol>
 *
 * <h2>What the primitive cases check</h2>
 * <ul>
 *   <li>{@link dev.kiln.tck.MemoryTestCase}: bit-exact round trips of every stored dtype, copy,
 *       fill, zero-size tensors, reshape aliasing, close, scopes, out-of-memory recovery;</li>
 *   <li>{@link dev.kiln.tck.ElementwiseTestCase}: every unary, binary and ternary op, broadcasting
 *       of rank 0 to 5, special values, integer floor division and modulo, casts;</li>
 *   <li>{@link dev.kiln.tck.ReductionTestCase}: reductions over any axes, NaN, ties, long sums;</li>
 *   <li>{@link dev.kiln.tck.MatmulTestCase}: NumPy matmul rules, and the primitive with strides,
 *       alpha, beta;</li>
 *   <li>{@link dev.kiln.tck.ShapeOpsTestCase}, {@link dev.kiln.tck.IndexingTestCase}: layout and
 *       indexing ops, bit exact;</li>
 *   <li>{@link dev.kiln.tck.RandomTestCase}: Philox 4x32-10 bit for bit, generator advance, moments;</li>
 *   <li>{@link dev.kiln.tck.ErrorTestCase}: typed exceptions naming op and shapes, no leaks;</li>
 *   <li>{@link dev.kiln.tck.ConcurrencyTestCase}: 8 threads give the bits of one.</li>
 * </ul>
 * Every comparison is against a float64 reference on the host ({@code dev.kiln.tck.ref}), written
 * from the definitions and never by calling the code under test; inputs are drawn from a fresh
 * seed per test, printed in every failure and fixed with {@code -Dkiln.tck.seed=N}. After every
 * test the device's bytes in use must be back at their starting value. See
 * {@code docs/conformance-kit.md} for tolerances and details.
 */
package dev.kiln.tck;
