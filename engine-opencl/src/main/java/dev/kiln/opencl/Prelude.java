package dev.kiln.opencl;

import dev.kiln.DType;
import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.ReduceOp;
import dev.kiln.spi.TernaryOp;
import dev.kiln.spi.UnaryOp;

/**
 * The #define block put in front of a kernel source: each operand's storage type and its load
 * conversion to the compute type (float for floating dtypes, long for integers), the store
 * conversion of the result into the output dtype, and the op codes (the Java enum ordinals, so the
 * two sides cannot drift apart).
 */
final class Prelude {
    private final StringBuilder text = new StringBuilder();

    Prelude() {
        for (UnaryOp op : UnaryOp.values()) define("UNARY_" + op.name(), Integer.toString(op.ordinal()));
        for (BinaryOp op : BinaryOp.values()) define("BINARY_" + op.name(), Integer.toString(op.ordinal()));
        for (TernaryOp op : TernaryOp.values()) define("TERNARY_" + op.name(), Integer.toString(op.ordinal()));
        for (ReduceOp op : ReduceOp.values()) define("REDUCE_" + op.name(), Integer.toString(op.ordinal()));
    }

    Prelude define(String name, String value) {
        text.append("#define ").append(name).append(' ').append(value).append('\n');
        return this;
    }

    /** Storage type {@code T<role>} and load macro {@code L<role>(p, i)} for an operand. */
    Prelude operand(String role, DType dtype) {
        define("T" + role, storage(dtype));
        define("L" + role + "(p, i)", switch (dtype) {
            case F32 -> "((p)[i])";
            case I32 -> "((long) (p)[i])";
            case I64 -> "((p)[i])";
            case F16 -> "kiln_h2f((p)[i])";
            case BF16 -> "kiln_bf2f((p)[i])";
        });
        return this;
    }

    /** The compute type: float when {@code dtype} is floating, else long. */
    Prelude compute(DType dtype) {
        define("CT", dtype.isFloating() ? "float" : "long");
        define("CT_FLOAT", dtype.isFloating() ? "1" : "0");
        return this;
    }

    /** Output storage {@code TO} and {@code SO(v)}, converting a compute value of {@code from} to {@code out}. */
    Prelude output(DType out, DType from) {
        define("TO", storage(out));
        boolean f = from.isFloating();
        define("SO(v)", switch (out) {
            case F32 -> f ? "((float) (v))" : "((float) (v))";
            case I32 -> f ? "convert_int_sat(v)" : "((int) (v))";
            case I64 -> f ? "convert_long_sat(v)" : "((long) (v))";
            case F16 -> f ? "kiln_f2h(v)" : "kiln_f2h((float) (v))";
            case BF16 -> f ? "kiln_f2bf(v)" : "kiln_f2bf((float) (v))";
        });
        return this;
    }

    static String storage(DType dtype) {
        return switch (dtype) {
            case F32 -> "float";
            case I32 -> "int";
            case I64 -> "long";
            case F16, BF16 -> "ushort";
        };
    }

    String text() { return text.toString(); }
}
