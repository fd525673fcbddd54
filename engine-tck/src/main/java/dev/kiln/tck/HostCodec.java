package dev.kiln.tck;

import dev.kiln.DType;
import dev.kiln.Device;
import dev.kiln.Tensor;
import dev.kiln.tck.ref.ElementwiseRef;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Raw element encoding on the host, so the kit can upload and read back every dtype through the
 * memory primitives alone, without relying on the backend's casts.
 */
public final class HostCodec {
    private HostCodec() {}

    /** {@code values} in {@code dtype}'s bit layout (floats rounded to nearest even, integers taken as they are). */
    public static MemorySegment encode(double[] values, DType dtype) {
        MemorySegment seg = Arena.ofAuto().allocate(Math.max(1, (long) values.length * dtype.byteSize()), 64)
                .asSlice(0, (long) values.length * dtype.byteSize());
        for (int i = 0; i < values.length; i++) {
            double v = values[i];
            switch (dtype) {
                case F32 -> seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
                case I32 -> seg.setAtIndex(ValueLayout.JAVA_INT, i, (int) v);
                case I64 -> seg.setAtIndex(ValueLayout.JAVA_LONG, i, (long) v);
                case F16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16((float) v));
                case BF16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT, i,
                        (short) (Float.floatToRawIntBits((float) ElementwiseRef.roundToBf16(v)) >>> 16));
            }
        }
        return seg;
    }

    /** The value each element of {@code dtype} holds after storing {@code v}. */
    public static double stored(double v, DType dtype) {
        return switch (dtype) {
            case F32 -> (float) v;
            case I32 -> (int) v;
            case I64 -> (long) v;
            case F16 -> ElementwiseRef.roundToF16(v);
            case BF16 -> ElementwiseRef.roundToBf16(v);
        };
    }

    public static Tensor upload(Device device, HostTensor h, DType dtype) {
        return device.fromSegment(encode(h.data, dtype), dtype, h.shape);
    }

    /** Reads {@code t} back through {@code copyTo} and decodes it to doubles. */
    public static double[] decode(Tensor t) {
        int n = Math.toIntExact(t.numel());
        MemorySegment seg = Arena.ofAuto().allocate(Math.max(1, (long) n * t.dtype().byteSize()), 64)
                .asSlice(0, (long) n * t.dtype().byteSize());
        t.copyTo(seg);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = switch (t.dtype()) {
                case F32 -> seg.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                case I32 -> seg.getAtIndex(ValueLayout.JAVA_INT, i);
                case I64 -> seg.getAtIndex(ValueLayout.JAVA_LONG, i);
                case F16 -> Float.float16ToFloat(seg.getAtIndex(ValueLayout.JAVA_SHORT, i));
                case BF16 -> Float.intBitsToFloat(seg.getAtIndex(ValueLayout.JAVA_SHORT, i) << 16);
            };
        }
        return d;
    }
}
