package dev.kiln.opencl;

/** Host-side bfloat16 conversion (round to nearest even), matching kiln_f2bf in common.cl. */
final class HostFloats {
    private HostFloats() {}

    static short toBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7FFFFFFF) > 0x7F800000) return (short) ((x >>> 16) | 0x40);
        return (short) ((x + 0x7FFF + ((x >>> 16) & 1)) >>> 16);
    }

    static float fromBf16(short b) { return Float.intBitsToFloat((b & 0xFFFF) << 16); }
}
