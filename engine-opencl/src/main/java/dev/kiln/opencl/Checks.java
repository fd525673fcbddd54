package dev.kiln.opencl;

import dev.kiln.DType;
import dev.kiln.DTypeException;
import dev.kiln.KilnException;
import dev.kiln.ShapeException;
import dev.kiln.spi.Backend;
import dev.kiln.spi.Buffer;
import dev.kiln.spi.View;
import java.util.Arrays;

/** Argument checks shared by the primitives: typed exceptions naming the op, the shapes and what was expected. */
final class Checks {
    private Checks() {}

    static ClBuffer buffer(OpenClBackend owner, String op, Buffer b) {
        owner.ensureOpen(op);
        if (!(b instanceof ClBuffer cb) || cb.owner() != owner) {
            throw new KilnException(op + ": buffer " + b + " was not allocated by " + owner.name());
        }
        if (cb.mem() == 0) throw new KilnException(op + ": buffer was freed");
        return cb;
    }

    /** The view lies inside its buffer, has rank <= 8 and non-negative extents. */
    static ClBuffer view(OpenClBackend owner, String op, String role, View v) {
        ClBuffer b = buffer(owner, op, v.buffer());
        if (v.rank() > Backend.MAX_RANK) {
            throw new ShapeException(op + ": " + role + " has rank " + v.rank() + ", at most " + Backend.MAX_RANK + " expected");
        }
        for (int d : v.shape()) {
            if (d < 0) throw new ShapeException(op + ": " + role + " has a negative extent: " + v);
        }
        if (v.offset() < 0) throw new ShapeException(op + ": " + role + " has a negative offset: " + v);
        long[] span = v.elementSpan();
        long capacity = b.byteSize() / v.dtype().byteSize();
        if (v.numel() > 0 && (span[0] < 0 || span[1] >= capacity)) {
            throw new ShapeException(op + ": " + role + " " + v + " reaches elements [" + span[0] + ", " + span[1]
                    + "] outside its buffer of " + capacity + " " + v.dtype() + " elements");
        }
        return b;
    }

    static void sameShape(String op, String role, View v, View out) {
        if (!Arrays.equals(v.shape(), out.shape())) {
            throw new ShapeException(op + ": " + role + " shape " + Arrays.toString(v.shape()) + " must equal the output shape "
                    + Arrays.toString(out.shape()) + " (broadcast with stride-0 axes before the call)");
        }
    }

    static void dtype(String op, String role, View v, DType... allowed) {
        for (DType d : allowed) if (v.dtype() == d) return;
        throw new DTypeException(op + ": " + role + " has dtype " + v.dtype() + ", expected one of " + Arrays.toString(allowed));
    }

    static void sameDtype(String op, View a, View b) {
        if (a.dtype() != b.dtype()) {
            throw new DTypeException(op + ": inputs must share one dtype, got " + a.dtype() + " and " + b.dtype());
        }
    }

    static void range(String op, long offset, long bytes, ClBuffer b) {
        if (offset < 0 || bytes < 0 || offset + bytes > b.byteSize()) {
            throw new KilnException(op + ": range [" + offset + ", " + (offset + bytes) + ") lies outside the buffer of "
                    + b.byteSize() + " bytes");
        }
    }
}
