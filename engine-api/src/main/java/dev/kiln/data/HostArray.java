package dev.kiln.data;

import dev.kiln.DType;
import dev.kiln.Device;
import dev.kiln.Tensor;
import java.util.Arrays;

/** A batch's inputs or targets on the host: F32 or I64 values and their dimensions, ready to upload. */
public record HostArray(DType dtype, int[] dims, float[] floats, long[] longs) {
    public static HostArray ofFloats(float[] values, int... dims) { return new HostArray(DType.F32, dims, values, null); }

    public static HostArray ofLongs(long[] values, int... dims) { return new HostArray(DType.I64, dims, null, values); }

    /** Copies the values to a new tensor on {@code device}. */
    public Tensor toDevice(Device device) {
        return dtype == DType.F32 ? device.fromArray(floats, dims) : device.fromArray(longs, dims);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostArray h && dtype == h.dtype && Arrays.equals(dims, h.dims)
                && Arrays.equals(floats, h.floats) && Arrays.equals(longs, h.longs);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(dims) * 31 + Arrays.hashCode(floats) * 17 + Arrays.hashCode(longs); }

    @Override
    public String toString() { return "HostArray[" + dtype + " " + Arrays.toString(dims) + "]"; }
}
