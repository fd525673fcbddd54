package dev.kiln.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ClosedTensorException;
import dev.kiln.Conv2dParams;
import dev.kiln.DType;
import dev.kiln.DTypeException;
import dev.kiln.Device;
import dev.kiln.DeviceMismatchException;
import dev.kiln.DeviceOutOfMemoryException;
import dev.kiln.Functional;
import dev.kiln.Kiln;
import dev.kiln.KilnException;
import dev.kiln.Reduction;
import dev.kiln.ShapeException;
import dev.kiln.Tensor;
import dev.kiln.UninitializedTensorException;
import dev.kiln.spi.BackendProvider;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Bad input: wrong shapes and dtypes, negative and absurd dimensions, tensors of two devices in one
 * op, use after close, reading a tensor never written. Each must be a typed {@link KilnException}
 * whose message names the op and the shapes, and must leak no device memory (the base class checks
 * bytes in use after every test).
 */
public abstract class ErrorTestCase extends KilnTestCase {

    /** Asserts that the message mentions each of {@code parts} (op names, shapes, dtypes). */
    static void assertNames(Throwable e, String... parts) {
        String m = e.getMessage();
        for (String p : parts) {
            assertTrue(m != null && m.contains(p), "message of " + e.getClass().getSimpleName() + " should name '" + p + "': " + m);
        }
    }

    /** Runs {@code op}, expecting {@code type} naming {@code parts}; a result it returns by mistake is closed. */
    private <T extends KilnException> T expect(Class<T> type, Supplier<?> op, String... parts) {
        T e = assertThrows(type, () -> {
            Object r = op.get();
            if (r instanceof AutoCloseable c) track(c);
        });
        assertNames(e, parts);
        return e;
    }

    private Tensor f32(int... shape) { return upload(randn(shape)); }

    // ---- shapes ----

    @Test
    void nonBroadcastingShapes() {
        Tensor a = f32(2, 3), b = f32(4, 3);
        expect(ShapeException.class, () -> a.add(b), "add", "[2, 3]", "[4, 3]");
        expect(ShapeException.class, () -> a.mul(b), "mul", "[2, 3]", "[4, 3]");
        expect(ShapeException.class, () -> a.lt(b), "lt", "[2, 3]", "[4, 3]");
        expect(ShapeException.class, () -> Tensor.where(a, a, b), "where", "[4, 3]");
        expect(ShapeException.class, () -> a.assign(f32(4)), "assign", "[4]", "[2, 3]");
    }

    @Test
    void matmulInnerDimensions() {
        Tensor a = f32(2, 3), b = f32(4, 5);
        expect(ShapeException.class, () -> a.matmul(b), "matmul", "[2, 3]", "[4, 5]");
        expect(ShapeException.class, () -> f32(2, 2, 3).matmul(f32(3, 3, 1)), "matmul", "[2, 2, 3]", "[3, 3, 1]");
    }

    @Test
    void reshapeAndAxisErrors() {
        Tensor a = f32(2, 3);
        expect(ShapeException.class, () -> a.reshape(4, 2), "reshape", "[2, 3]", "[4, 2]");
        expect(ShapeException.class, () -> a.reshape(-1, 4), "reshape", "[2, 3]");
        expect(ShapeException.class, () -> a.sum(2), "sum", "2", "[2, 3]");
        expect(ShapeException.class, () -> a.squeeze(0), "squeeze", "[2, 3]");
        expect(ShapeException.class, () -> a.permute(0, 0), "permute");
        expect(ShapeException.class, () -> a.permute(1), "permute", "[2, 3]");
        expect(ShapeException.class, () -> a.narrow(1, 2, 2), "narrow", "[2, 3]");
        expect(ShapeException.class, () -> a.expand(3, 3), "expand", "[2, 3]", "[3, 3]");
        expect(ShapeException.class, () -> a.item(), "item", "[2, 3]");
        expect(ShapeException.class, () -> a.chunk(2, 1), "chunk", "[2, 3]");
        expect(ShapeException.class, () -> a.split(new int[] {1, 1}, 1), "split", "[2, 3]");
    }

    @Test
    void creationWithWrongCountsOrDimensions() {
        expect(ShapeException.class, () -> device().fromArray(new float[5], 2, 3), "fromArray", "[2, 3]", "5");
        expect(ShapeException.class, () -> device().fromArray(new long[7], 2, 3), "fromArray", "[2, 3]", "7");
        expect(ShapeException.class, () -> device().fromSegment(MemorySegment.ofArray(new byte[10]), DType.F32, 3), "fromSegment", "[3]", "10");
        expect(ShapeException.class, () -> device().zeros(2, -3), "zeros", "[2, -3]");
        expect(ShapeException.class, () -> device().full(DType.I64, 7, -1), "full", "[-1]");
        expect(ShapeException.class, () -> device().empty(DType.F32, -1), "empty", "[-1]");
        expect(ShapeException.class, () -> device().rand(new dev.kiln.Generator(1), 4, -2), "rand", "[4, -2]");
        expect(ShapeException.class, () -> device().fromArray(new float[0], 0, -1), "fromArray", "[0, -1]");
        // more elements than any tensor may have, and an overflowing product
        expect(ShapeException.class, () -> device().zeros(1 << 20, 1 << 20, 1 << 20), "zeros", "2^40");
        expect(ShapeException.class, () -> device().zeros(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE), "zeros");
        expect(ShapeException.class, () -> device().arange(DType.F32, 0, 10, 0), "arange");
    }

    /** A request no device can serve: out of memory (or a shape limit), and the device goes on working. */
    @Test
    void absurdAllocationLeavesTheDeviceUsable() {
        KilnException e = assertThrows(KilnException.class, () -> track(device().empty(DType.F32, 1 << 20, 1 << 20)));
        assertTrue(e instanceof DeviceOutOfMemoryException || e instanceof ShapeException, "expected out of memory or a shape error, got " + e);
        if (e instanceof DeviceOutOfMemoryException oom) assertEquals(4L << 40, oom.requestedBytes(), "requested bytes");
        HostTensor x = randn(7, 3);
        assertClose("after the failed allocation", x.map(v -> v + 1), track(upload(x).add(1)));
    }

    @Test
    void readBackIntoWrongSizedMemory() {
        Tensor a = f32(2, 3);
        expect(ShapeException.class, () -> {
            a.copyTo(MemorySegment.ofArray(new float[5]));
            return null;
        }, "copyTo", "[2, 3]", "20", "24");
    }

    @Test
    void otherArgumentErrors() {
        Tensor a = f32(2, 3);
        expect(ShapeException.class, () -> a.slice(1, 0, 3, 0), "slice", "step");
        expect(ShapeException.class, () -> track(device().arange(3)).oneHot(0), "oneHot", "0");
        expect(KilnException.class, () -> a.clamp(2, 1), "clamp", "2", "1");
        expect(ShapeException.class, () -> Tensor.stack(List.of(a, f32(3, 2)), 0), "stack", "[2, 3]", "[3, 2]");
        expect(ShapeException.class, () -> a.gather(1, track(device().zeros(DType.I64, 2))), "gather", "[2]", "[2, 3]");
        expect(ShapeException.class, () -> a.indexAdd(0, track(device().zeros(DType.I64, 2)), f32(3, 3)), "indexAdd", "[3, 3]");
        expect(ShapeException.class, () -> a.scatterAdd(0, track(device().zeros(DType.I64, 2)), a), "scatterAdd", "[2]", "[2, 3]");
        expect(dev.kiln.BackendUnavailableException.class, () -> Kiln.device("no-such-backend"), "no-such-backend");
        expect(dev.kiln.BackendUnavailableException.class, () -> Kiln.device("scalar:x"), "scalar:x");
    }

    // ---- dtypes ----

    @Test
    void mixedOrWrongDtypes() {
        Tensor f = f32(2, 3);
        Tensor i = track(device().zeros(DType.I64, 2, 3));
        Tensor i32 = track(device().zeros(DType.I32, 2, 3));
        expect(DTypeException.class, () -> f.add(i), "add", "F32", "I64");
        expect(DTypeException.class, () -> i.sub(i32), "sub", "I64", "I32");
        expect(DTypeException.class, () -> i.exp(), "exp", "I64");
        expect(DTypeException.class, () -> i.pow(i), "pow", "I64");
        expect(DTypeException.class, () -> i.mean(), "mean", "I64");
        expect(DTypeException.class, () -> f.matmul(i), "matmul", "I64");
        expect(DTypeException.class, () -> Tensor.where(f, f, i), "where", "F32", "I64");
        expect(DTypeException.class, () -> f.assign(i), "assign", "I64");
        expect(DTypeException.class, () -> f.gather(1, f), "gather", "F32");
        expect(DTypeException.class, () -> f.oneHot(3), "oneHot", "F32");
        expect(DTypeException.class, () -> f.scatterAdd(1, i, i), "scatterAdd", "I64");
    }

    // ---- two devices ----

    /** Another device than the one under test: a second device of its backend, else any other available one. */
    private Optional<Device> otherDevice() {
        String mine = device().name();
        for (BackendProvider p : Kiln.providers()) {
            if (p.unavailableReason().isPresent()) continue;
            for (int d = 0; d < p.devices().size(); d++) {
                String name = p.name() + ":" + d;
                if (name.equals(mine)) continue;
                try {
                    Device other = Kiln.device(name);
                    if (other != device()) return Optional.of(other);
                } catch (KilnException ignored) {
                    // not openable here: try the next
                }
            }
        }
        return Optional.empty();
    }

    @Test
    void tensorsOfTwoDevicesInOneOp() {
        Optional<Device> other = otherDevice();
        Assumptions.assumeTrue(other.isPresent(), "no second device on the class path");
        Device o = other.get();
        long otherBaseline = o.bytesInUse();
        Tensor a = f32(2, 3);
        try (Tensor b = o.zeros(2, 3); Tensor idx = o.zeros(DType.I64, 2); Tensor b32 = b.reshape(3, 2)) {
            String names = o.name();
            expect(DeviceMismatchException.class, () -> a.add(b), "add", names);
            expect(DeviceMismatchException.class, () -> a.matmul(b), "matmul", names);
            expect(DeviceMismatchException.class, () -> Tensor.where(a, a, b), "where");
            expect(DeviceMismatchException.class, () -> Tensor.concat(List.of(a, b), 0), "concat");
            expect(DeviceMismatchException.class, () -> a.indexSelect(0, idx), "indexSelect");
            expect(DeviceMismatchException.class, () -> a.assign(b), "assign");
            expect(DeviceMismatchException.class, () -> Functional.linear(a, b32, null), "linear");
            // moving a tensor over makes it work
            try (Tensor moved = b.to(device()); Tensor sum = a.add(moved)) {
                assertClose("after to(device)", HostTensor.of(a), sum);
            }
        }
        assertEquals(otherBaseline, o.bytesInUse(), "the other device's bytes in use");
    }

    // ---- lifetime ----

    @Test
    void useAfterClose() {
        Tensor a = f32(2, 3), b = f32(2, 3);
        Tensor c = device().ones(2, 3);
        c.close();
        expect(ClosedTensorException.class, () -> a.add(c), "add", "[2, 3]", "closed");
        expect(ClosedTensorException.class, () -> c.exp(), "exp", "closed");
        expect(ClosedTensorException.class, () -> c.toFloatArray(), "toFloatArray", "closed");
        expect(ClosedTensorException.class, () -> c.reshape(3, 2), "reshape", "closed");
        expect(ClosedTensorException.class, () -> c.sum(), "sum", "closed");
        expect(ClosedTensorException.class, () -> c.matmul(b), "matmul", "closed");
        expect(ClosedTensorException.class, () -> c.view(), "view", "closed");
        expect(ClosedTensorException.class, () -> c.transpose(0, 1), "permute", "closed");
        expect(ClosedTensorException.class, () -> c.slice(0, 0, 1, 1), "slice", "closed");
        expect(ClosedTensorException.class, () -> c.expand(2, 2, 3), "expand", "closed");
        expect(ClosedTensorException.class, () -> Functional.linear(c, b, null), "linear", "closed");
        c.close();   // idempotent
        assertTrue(c.isClosed());
        assertTrue(c.toString().contains("closed"));
    }

    @Test
    void readingATensorNeverWritten() {
        Tensor e = track(device().empty(DType.F32, 3, 4));
        expect(UninitializedTensorException.class, e::toFloatArray, "toFloatArray", "[3, 4]");
        expect(UninitializedTensorException.class, () -> e.add(f32(3, 4)), "add", "[3, 4]");
        expect(UninitializedTensorException.class, () -> e.sum(), "sum", "[3, 4]");
        expect(UninitializedTensorException.class, () -> e.matmul(f32(4, 2)), "matmul", "[3, 4]");
        expect(UninitializedTensorException.class, () -> f32(2, 3).matmul(e), "matmul", "[3, 4]");
        Tensor alias = track(e.reshape(12));
        expect(UninitializedTensorException.class, alias::toLongArray, "[12]");
        // once written, it reads
        e.fill(1.5);
        assertClose("after fill", new HostTensor(new double[12], 12).map(v -> 1.5), alias);
        Tensor i = track(device().empty(DType.I64, 5));
        expect(UninitializedTensorException.class, () -> i.oneHot(3), "oneHot");
    }

    // ---- Functional's argument checks ----

    @Test
    void functionalArgumentChecks() {
        Tensor x = f32(1, 3, 5, 5);
        expect(ShapeException.class, () -> Functional.conv2d(x, f32(4, 2, 3, 3), null, Conv2dParams.of(1, 0)), "conv2d", "[4, 2, 3, 3]", "[1, 3, 5, 5]");
        expect(ShapeException.class, () -> Functional.conv2d(f32(3, 5, 5), f32(4, 3, 3, 3), null, Conv2dParams.of(1, 0)), "conv2d", "[3, 5, 5]");
        expect(ShapeException.class, () -> Functional.conv2d(x, f32(4, 3, 7, 7), null, Conv2dParams.of(1, 0)), "conv2d", "[1, 3, 5, 5]");
        expect(ShapeException.class, () -> Functional.conv2d(x, f32(4, 3, 3, 3), f32(5), Conv2dParams.of(1, 0)), "conv2d", "[5]");
        expect(ShapeException.class, () -> Functional.conv2d(x, f32(4, 1, 3, 3), null, Conv2dParams.of(1, 0).withGroups(2)), "conv2d", "groups");
        expect(ShapeException.class, () -> Conv2dParams.of(0, 0), "conv2d");
        expect(DTypeException.class, () -> Functional.conv2d(track(device().zeros(DType.I64, 1, 3, 5, 5)), f32(4, 3, 3, 3), null,
                Conv2dParams.of(1, 0)), "conv2d", "I64");
        Tensor in = f32(2, 5);
        expect(ShapeException.class, () -> Functional.linear(in, f32(3, 4), null), "linear", "[2, 5]", "[3, 4]");
        expect(ShapeException.class, () -> Functional.linear(in, f32(3, 5), f32(4)), "linear", "[4]");
        expect(ShapeException.class, () -> Functional.linear(in, f32(5), null), "linear", "[5]");
        Tensor logits = f32(4, 10);
        expect(DTypeException.class, () -> Functional.crossEntropy(logits, f32(4), -100, 0, Reduction.MEAN), "crossEntropy", "F32");
        expect(ShapeException.class, () -> Functional.crossEntropy(logits, track(device().zeros(DType.I64, 5)), -100, 0, Reduction.MEAN),
                "crossEntropy", "[5]");
        expect(ShapeException.class, () -> Functional.crossEntropy(f32(4), track(device().zeros(DType.I64, 4)), -100, 0, Reduction.MEAN),
                "crossEntropy", "[4]");
        expect(KilnException.class, () -> Functional.crossEntropy(logits, track(device().zeros(DType.I64, 4)), -100, 1.5, Reduction.MEAN),
                "crossEntropy", "1.5");
    }

    @Test
    void failedOpsLeakNothing() {
        // the base class compares bytes in use with the baseline after the test: a failed op that kept its output fails it
        Tensor a = f32(3, 4);
        Tensor i = track(device().zeros(DType.I64, 3, 4));
        Tensor bad = track(device().fromArray(new long[] {0, 99}, 2));
        List<Supplier<Tensor>> ops = List.of(() -> a.add(f32(5)), () -> a.add(i), () -> a.matmul(a), () -> a.reshape(5), () -> a.gather(0, a),
                () -> a.indexSelect(0, bad), () -> a.indexAdd(0, bad, f32(2, 4)), () -> a.scatterAdd(0, track(device().full(DType.I64, -5, 3, 4)), a),
                () -> i.div(i), () -> i.mod(track(device().zeros(DType.I64, 4))));
        for (int k = 0; k < 3; k++) {
            for (Supplier<Tensor> op : ops) {
                try {
                    track(op.get());   // backends may complete some of these (a bad index may read as 0, integer x / 0 may give a value)
                } catch (KilnException expected) {
                    // the point is the bytes in use afterwards
                }
            }
        }
    }
}
