package dev.kiln.cuda;

import dev.kiln.KilnException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The GEMM precision policy, chosen with {@code -Dkiln.cuda.precision=fp32|tf32|bf16}. Tolerances are the
 * relative errors ||out - ref|| / ||ref|| the conformance kit allows against a float64 reference.
 */
public enum Precision {
    /** IEEE float32 multiply-add (cublasSgemm, default math mode). */
    FP32(Cublas.COMPUTE_32F, Cublas.DEFAULT_MATH, 1e-5),
    /** Tensor cores with TF32 inputs (10-bit mantissa, unit roundoff 2^-11), float32 accumulation. */
    TF32(Cublas.COMPUTE_32F_FAST_TF32, Cublas.TF32_TENSOR_OP_MATH, 5e-3),
    /** Tensor cores with inputs rounded to BF16 (7-bit mantissa, unit roundoff 2^-8), float32 accumulation. */
    BF16(Cublas.COMPUTE_32F_FAST_16BF, Cublas.DEFAULT_MATH, 2e-2);

    public static final String PROPERTY = "kiln.cuda.precision";

    /** The modes by name, as {@code -Dkiln.cuda.precision} and device names ({@code cuda:0@tf32}) write them. */
    public static final List<String> NAMES = Arrays.stream(values()).map(Precision::label).toList();

    private final int computeType, mathMode;
    private final double tolerance;

    Precision(int computeType, int mathMode, double tolerance) {
        this.computeType = computeType;
        this.mathMode = mathMode;
        this.tolerance = tolerance;
    }

    /** {@code fp32}, {@code tf32}, {@code bf16}. */
    public String label() { return name().toLowerCase(Locale.ROOT); }

    public int computeType() { return computeType; }

    public int mathMode() { return mathMode; }

    /** The relative error the conformance kit accepts for matrix products in this mode. */
    public double tolerance() { return tolerance; }

    public static Precision parse(String value) {
        if (value == null || value.isBlank()) return FP32;
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "fp32" -> FP32;
            case "tf32" -> TF32;
            case "bf16" -> BF16;
            default -> throw new KilnException(PROPERTY + "=" + value + " is not a precision: expected fp32, tf32 or bf16");
        };
    }

    public static Precision fromSystemProperty() { return parse(System.getProperty(PROPERTY)); }
}
