package dev.kiln.cuda;

import dev.kiln.KilnException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** The CUDA sources of native-kernels, read from the class path ({@code kernels/cuda/}). */
public final class KernelSources {
    public static final String DIRECTORY = "kernels/cuda/";
    /** Headers the sources include by name; NVRTC receives them with the program. */
    public static final List<String> HEADERS = List.of("kiln_common.cuh", "kiln_block.cuh");
    /** Every program the backend compiles. */
    public static final List<String> PROGRAMS = List.of("elementwise.cu", "reduce.cu", "index.cu", "random.cu", "softmax.cu",
            "optim.cu", "loss.cu", "attention.cu", "pool.cu", "norm.cu");

    private KernelSources() {}

    public static String read(String fileName) {
        String path = DIRECTORY + fileName;
        try (InputStream in = KernelSources.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) throw new KilnException("kernel source " + path + " is not on the class path (native-kernels jar missing?)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KilnException("cannot read kernel source " + path + ": " + e.getMessage(), e);
        }
    }

    public static Map<String, String> headers() {
        Map<String, String> h = new java.util.LinkedHashMap<>();
        for (String name : HEADERS) h.put(name, read(name));
        return h;
    }

    /** Every kernel name the backend launches (the dtype-suffixed instantiations of each program). */
    public static List<String> kernelNames() {
        List<String> names = new java.util.ArrayList<>();
        List<String> dtypes = java.util.Arrays.stream(dev.kiln.DType.values()).map(OpCodes::dtype).toList();
        for (String a : dtypes) {
            names.add("fill_" + a);
            names.add("clamp_" + a);
            for (String b : dtypes) {
                names.add("unary_" + a + "_" + b);
                names.add("binary_" + a + "_" + b);
                names.add("where_" + a + "_" + b);
                names.add("reduce_" + a + "_" + b);
            }
            for (String i : List.of("i32", "i64")) {
                names.add("gather_" + a + "_" + i);
                names.add("scatter_add_" + a + "_" + i);
            }
        }
        names.add("random_uniform");
        names.add("random_normal");
        names.addAll(List.of("softmax_forward", "softmax_backward", "sgd_step", "adam_step", "cross_entropy_forward",
                "cross_entropy_backward", "attention_forward", "attention_backward_dq", "attention_backward_dkv", "max_pool_forward", "max_pool_backward", "avg_pool_forward", "avg_pool_backward", "adaptive_avg_pool_forward", "adaptive_avg_pool_backward",
                "layer_norm_forward", "layer_norm_backward_input",
                "layer_norm_backward_params", "dropout_forward", "batch_norm_training", "batch_norm_inference",
                "batch_norm_backward", "lrn_forward", "lrn_backward"));
        return names;
    }

    /** The program that defines kernel {@code name}, by its prefix. */
    public static String programOf(String kernel) {
        if (kernel.startsWith("reduce_")) return "reduce.cu";
        if (kernel.startsWith("gather_") || kernel.startsWith("scatter_add_")) return "index.cu";
        if (kernel.startsWith("random_") || kernel.startsWith("dropout_")) return "random.cu";
        if (kernel.startsWith("layer_norm_") || kernel.startsWith("batch_norm_") || kernel.startsWith("lrn_")) return "norm.cu";
        if (kernel.startsWith("softmax_")) return "softmax.cu";
        if (kernel.startsWith("sgd_") || kernel.startsWith("adam_")) return "optim.cu";
        if (kernel.startsWith("cross_entropy_")) return "loss.cu";
        if (kernel.startsWith("attention_")) return "attention.cu";
        if (kernel.startsWith("max_pool_") || kernel.startsWith("avg_pool_") || kernel.startsWith("adaptive_avg_pool_")) {
            return "pool.cu";
        }
        if (kernel.startsWith("fill_") || kernel.startsWith("unary_") || kernel.startsWith("binary_")
                || kernel.startsWith("where_") || kernel.startsWith("clamp_")) return "elementwise.cu";
        throw new IllegalArgumentException("no CUDA program defines kernel " + kernel);
    }
}
