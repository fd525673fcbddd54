// Elementwise unary, binary and ternary ops over strided N-d views (rank <= 8, stride 0 broadcasts).
// Prelude: TA/LA (operand a), TB/LB, TC/LC, TO/SO (output), CT (compute type of a, or of b and c
// for WHERE), CT_FLOAT (1 when CT is float), op codes UNARY_*, BINARY_*, TERNARY_*.

#if CT_FLOAT
inline CT kiln_unary(int op, CT x) {
    switch (op) {
        case UNARY_COPY: return x;
        case UNARY_NEG: return -x;
        case UNARY_ABS: return fabs(x);
        case UNARY_SIGN: return isnan(x) ? x : (x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f));
        case UNARY_SQUARE: return x * x;
        case UNARY_NOT: return x == 0.0f ? 1.0f : 0.0f;
        case UNARY_EXP: return exp(x);
        case UNARY_LOG: return log(x);
        case UNARY_LOG1P: return log1p(x);
        case UNARY_EXPM1: return expm1(x);
        case UNARY_SQRT: return sqrt(x);
        case UNARY_RSQRT: return 1.0f / sqrt(x);
        case UNARY_RECIPROCAL: return 1.0f / x;
        case UNARY_SIN: return sin(x);
        case UNARY_COS: return cos(x);
        case UNARY_TANH: return tanh(x);
        case UNARY_SIGMOID: return 1.0f / (1.0f + exp(-x));
        case UNARY_ERF: return erf(x);
        case UNARY_RELU: return x < 0.0f ? 0.0f : x;
        // x * Phi(x) as x/2 * erfc(-x/sqrt 2), and the tanh form as x * sigmoid(2u): no cancellation for negative x
        case UNARY_GELU: return 0.5f * x * erfc(-x * 0.70710678118654752f);
        case UNARY_GELU_TANH: return x / (1.0f + exp(-1.5957691216057308f * (x + 0.044715f * x * x * x)));
        case UNARY_SILU: return x / (1.0f + exp(-x));
        case UNARY_FLOOR: return floor(x);
        case UNARY_CEIL: return ceil(x);
        case UNARY_ROUND: return rint(x);
        default: return NAN;
    }
}

inline CT kiln_binary(int op, CT a, CT b) {
    switch (op) {
        case BINARY_ADD: return a + b;
        case BINARY_SUB: return a - b;
        case BINARY_MUL: return a * b;
        case BINARY_DIV: return a / b;
        case BINARY_MOD: return a - floor(a / b) * b;
        case BINARY_POW: return pow(a, b);
        case BINARY_MAXIMUM: return (isnan(a) || isnan(b)) ? NAN : fmax(a, b);
        case BINARY_MINIMUM: return (isnan(a) || isnan(b)) ? NAN : fmin(a, b);
        case BINARY_EQ: return a == b ? 1.0f : 0.0f;
        case BINARY_NE: return a != b ? 1.0f : 0.0f;
        case BINARY_LT: return a < b ? 1.0f : 0.0f;
        case BINARY_LE: return a <= b ? 1.0f : 0.0f;
        case BINARY_GT: return a > b ? 1.0f : 0.0f;
        case BINARY_GE: return a >= b ? 1.0f : 0.0f;
        case BINARY_AND: return (a != 0.0f && b != 0.0f) ? 1.0f : 0.0f;
        case BINARY_OR: return (a != 0.0f || b != 0.0f) ? 1.0f : 0.0f;
        default: return NAN;
    }
}

inline CT kiln_clamp(CT x, CT lo, CT hi) {
    if (isnan(x) || isnan(lo) || isnan(hi)) return NAN;
    return fmin(fmax(x, lo), hi);
}
#else
inline CT kiln_unary(int op, CT x) {
    switch (op) {
        case UNARY_COPY: return x;
        case UNARY_NEG: return -x;
        case UNARY_ABS: return x < 0 ? -x : x;
        case UNARY_SIGN: return x > 0 ? 1 : (x < 0 ? -1 : 0);
        case UNARY_SQUARE: return x * x;
        case UNARY_NOT: return x == 0 ? 1 : 0;
        default: return 0;
    }
}

// Floor division and modulo as Python's // and %; division by zero gives 0 instead of trapping.
inline CT kiln_floordiv(CT a, CT b) {
    if (b == 0) return 0;
    if (b == -1) return -a;
    CT q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    return q;
}

inline CT kiln_floormod(CT a, CT b) {
    if (b == 0 || b == -1) return 0;
    CT r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

inline CT kiln_binary(int op, CT a, CT b) {
    switch (op) {
        case BINARY_ADD: return a + b;
        case BINARY_SUB: return a - b;
        case BINARY_MUL: return a * b;
        case BINARY_DIV: return kiln_floordiv(a, b);
        case BINARY_MOD: return kiln_floormod(a, b);
        case BINARY_MAXIMUM: return a > b ? a : b;
        case BINARY_MINIMUM: return a < b ? a : b;
        case BINARY_EQ: return a == b ? 1 : 0;
        case BINARY_NE: return a != b ? 1 : 0;
        case BINARY_LT: return a < b ? 1 : 0;
        case BINARY_LE: return a <= b ? 1 : 0;
        case BINARY_GT: return a > b ? 1 : 0;
        case BINARY_GE: return a >= b ? 1 : 0;
        case BINARY_AND: return (a != 0 && b != 0) ? 1 : 0;
        case BINARY_OR: return (a != 0 || b != 0) ? 1 : 0;
        default: return 0;
    }
}

inline CT kiln_clamp(CT x, CT lo, CT hi) {
    CT y = x < lo ? lo : x;
    return y > hi ? hi : y;
}
#endif

__kernel void unary_op(int op, long n, int rank, long8 shape,
                       __global const TA* a, long offA, long8 strideA,
                       __global TO* out, long offO, long8 strideO) {
    long i = get_global_id(0);
    if (i >= n) return;
    KILN_UNPACK(shape, sh); KILN_UNPACK(strideA, sa); KILN_UNPACK(strideO, so);
    long rem = i, pa = offA, po = offO;
    for (int d = rank - 1; d >= 0; d--) {
        long c = rem % sh[d];
        rem /= sh[d];
        pa += c * sa[d];
        po += c * so[d];
    }
    CT r = kiln_unary(op, LA(a, pa));
    out[po] = SO(r);
}

__kernel void binary_op(int op, long n, int rank, long8 shape,
                        __global const TA* a, long offA, long8 strideA,
                        __global const TB* b, long offB, long8 strideB,
                        __global TO* out, long offO, long8 strideO) {
    long i = get_global_id(0);
    if (i >= n) return;
    KILN_UNPACK(shape, sh); KILN_UNPACK(strideA, sa); KILN_UNPACK(strideB, sb); KILN_UNPACK(strideO, so);
    long rem = i, pa = offA, pb = offB, po = offO;
    for (int d = rank - 1; d >= 0; d--) {
        long c = rem % sh[d];
        rem /= sh[d];
        pa += c * sa[d];
        pb += c * sb[d];
        po += c * so[d];
    }
    CT r = kiln_binary(op, LA(a, pa), LB(b, pb));
    out[po] = SO(r);
}

__kernel void ternary_op(int op, long n, int rank, long8 shape,
                         __global const TA* a, long offA, long8 strideA,
                         __global const TB* b, long offB, long8 strideB,
                         __global const TC* c, long offC, long8 strideC,
                         __global TO* out, long offO, long8 strideO) {
    long i = get_global_id(0);
    if (i >= n) return;
    KILN_UNPACK(shape, sh); KILN_UNPACK(strideA, sa); KILN_UNPACK(strideB, sb);
    KILN_UNPACK(strideC, sc); KILN_UNPACK(strideO, so);
    long rem = i, pa = offA, pb = offB, pc = offC, po = offO;
    for (int d = rank - 1; d >= 0; d--) {
        long k = rem % sh[d];
        rem /= sh[d];
        pa += k * sa[d];
        pb += k * sb[d];
        pc += k * sc[d];
        po += k * so[d];
    }
    CT r;
    if (op == TERNARY_WHERE) {
        r = (LA(a, pa) != 0) ? LB(b, pb) : LC(c, pc);
    } else {
        r = kiln_clamp(LA(a, pa), LB(b, pb), LC(c, pc));
    }
    out[po] = SO(r);
}

// Writes one bit pattern (the value already converted to the dtype on the host) into a view.
__kernel void fill_op(long n, int rank, long8 shape, __global TO* out, long offO, long8 strideO, TO value) {
    long i = get_global_id(0);
    if (i >= n) return;
    KILN_UNPACK(shape, sh); KILN_UNPACK(strideO, so);
    long rem = i, po = offO;
    for (int d = rank - 1; d >= 0; d--) {
        long c = rem % sh[d];
        rem /= sh[d];
        po += c * so[d];
    }
    out[po] = value;
}
