package dev.kiln;

/**
 * Element types. F32 computes on every backend; I32 and I64 hold indices, labels and counts;
 * F16 and BF16 are storage types (a backend converts them to F32 to compute, unless it reports
 * a native precision mode).
 */
public enum DType {
    F32(4, true), I32(4, false), I64(8, false), F16(2, true), BF16(2, true);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    public int byteSize() { return byteSize; }

    public boolean isFloating() { return floating; }

    /** The safetensors / PyTorch spelling, used in files and messages. */
    public String fileName() {
        return switch (this) {
            case F32 -> "F32"; case I32 -> "I32"; case I64 -> "I64"; case F16 -> "F16"; case BF16 -> "BF16";
        };
    }
}
