// Shared helpers for every Kiln OpenCL program. The host prepends a prelude of #defines naming
// the storage type, load and store conversion of each operand (see dev.kiln.opencl.Prelude).

// 16-bit floats are storage only: converted with bit operations, so cl_khr_fp16 is not needed.
inline float kiln_h2f(ushort h) {
    uint sign = ((uint) (h & 0x8000)) << 16;
    uint e = (h >> 10) & 0x1F;
    uint m = h & 0x3FF;
    if (e == 0x1F) return as_float(sign | 0x7F800000u | (m << 13));
    if (e != 0) return as_float(sign | ((e + 112u) << 23) | (m << 13));
    float sub = (float) m * 0x1p-24f;   // zero or subnormal: exact in float
    return sign ? -sub : sub;
}

// Round to nearest even, with subnormals, overflow to infinity and quiet NaNs.
inline ushort kiln_f2h(float f) {
    uint x = as_uint(f);
    uint sign = (x >> 16) & 0x8000u;
    uint ax = x & 0x7FFFFFFFu;
    if (ax > 0x7F800000u) return (ushort) (sign | 0x7E00u | ((ax >> 13) & 0x3FFu));
    if (ax >= 0x477FF000u) return (ushort) (sign | 0x7C00u);   // >= 65520 rounds to infinity
    if (ax < 0x38800000u) {                                      // below 2^-14: subnormal half
        uint m = (uint) rint(as_float(ax) * 0x1p24f);
        return (ushort) (sign | m);
    }
    uint r = ax + 0xC8000FFFu + ((ax >> 13) & 1u);               // rebias exponent, round half even
    return (ushort) (sign | (r >> 13));
}

inline float kiln_bf2f(ushort b) { return as_float(((uint) b) << 16); }

inline ushort kiln_f2bf(float f) {
    uint x = as_uint(f);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (ushort) ((x >> 16) | 0x40u);
    return (ushort) ((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

// Views arrive as (offset, long8 strides) with a shared long8 shape; rank <= 8.
#define KILN_UNPACK(v, arr) long arr[8]; vstore8((v), 0, arr)
