package dev.kiln.cuda;

import dev.kiln.DType;
import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.ReduceOp;
import dev.kiln.spi.UnaryOp;

/** The op numbers and dtype names the kernels of native-kernels use (see the enums in elementwise.cu, reduce.cu). */
public final class OpCodes {
    private OpCodes() {}

    public static int unary(UnaryOp op) {
        return switch (op) {
            case COPY -> 0; case NEG -> 1; case ABS -> 2; case SIGN -> 3; case SQUARE -> 4; case NOT -> 5;
            case EXP -> 6; case LOG -> 7; case LOG1P -> 8; case EXPM1 -> 9; case SQRT -> 10; case RSQRT -> 11;
            case RECIPROCAL -> 12; case SIN -> 13; case COS -> 14; case TANH -> 15; case SIGMOID -> 16; case ERF -> 17;
            case RELU -> 18; case GELU -> 19; case GELU_TANH -> 20; case SILU -> 21; case FLOOR -> 22; case CEIL -> 23;
            case ROUND -> 24;
        };
    }

    public static int binary(BinaryOp op) {
        return switch (op) {
            case ADD -> 0; case SUB -> 1; case MUL -> 2; case DIV -> 3; case MOD -> 4; case POW -> 5; case MAXIMUM -> 6;
            case MINIMUM -> 7; case EQ -> 8; case NE -> 9; case LT -> 10; case LE -> 11; case GT -> 12; case GE -> 13;
            case AND -> 14; case OR -> 15;
        };
    }

    public static int reduce(ReduceOp op) {
        return switch (op) {
            case SUM -> 0; case PROD -> 1; case MAX -> 2; case MIN -> 3; case ARGMAX -> 4; case ARGMIN -> 5;
        };
    }

    /** The suffix of kernel names for a dtype. */
    public static String dtype(DType t) {
        return switch (t) {
            case F32 -> "f32"; case F16 -> "f16"; case BF16 -> "bf16"; case I32 -> "i32"; case I64 -> "i64";
        };
    }
}
