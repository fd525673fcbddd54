package dev.kiln.bench;

import dev.kiln.Device;
import dev.kiln.models.Zoo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One planned row, independent of the backend: what to run, its geometry and its work. The same
 * plan runs on every Kiln device and, with --compare-torch, in the PyTorch peer.
 */
public record Spec(String kernel, String name, String geometry, int batch, double flops, int gemmSize, ConvLayer layer,
        Zoo.Entry model) {

    /** The rows {@code options} select, in the order they run. */
    public static List<Spec> plan(Options options) {
        List<Spec> specs = new ArrayList<>();
        for (int n : options.gemmSizes()) {
            String name = "gemm " + n;
            if (options.selected(name)) {
                specs.add(new Spec("gemm", name, n + "x" + n + "x" + n, 1, Workloads.gemmFlops(n), n, null, null));
            }
        }
        for (ConvLayer layer : ConvLayer.ALL) {
            if (!options.selected(layer.name())) continue;
            for (int batch : options.batches()) {
                specs.add(new Spec("conv", layer.name(), layer.geometry(), batch, layer.flops(batch), 0, layer, null));
            }
        }
        if (options.selected("lstm")) {
            for (int batch : options.batches()) {
                specs.add(new Spec("lstm", "lstm", Workloads.lstmGeometry(), batch, Workloads.lstmFlops(batch), 0, null, null));
            }
        }
        if (options.selected("attention")) {
            for (int batch : options.batches()) {
                specs.add(new Spec("attn", "attention", Workloads.attentionGeometry(), batch, Workloads.attentionFlops(batch), 0,
                        null, null));
            }
        }
        for (String modelName : options.models()) {
            if (!options.selected(modelName)) continue;
            Zoo.Entry model = Zoo.get(modelName);
            for (int batch : options.batches()) {
                specs.add(new Spec("model", modelName, model.description(), batch, Double.NaN, 0, null, model));
            }
        }
        // one training step per model, at the throughput batch (the largest asked for)
        int trainBatch = options.batches().stream().mapToInt(Integer::intValue).max().orElse(1);
        for (String modelName : options.models()) {
            if (!options.selected(modelName + " train") && !options.selected(modelName)) continue;
            Zoo.Entry model = Zoo.get(modelName);
            specs.add(new Spec("train", modelName + " train", model.description() + ", SGD step", trainBatch, Double.NaN, 0, null, model));
        }
        return specs;
    }

    /** {@code gemm 512}, {@code alexnet.conv1 b32}. */
    public String label() { return kernel.equals("gemm") ? name : name + " b" + batch; }

    /** Allocates this row's inputs on {@code device}. */
    public Workloads.Workload setup(Device device) {
        return switch (kernel) {
            case "gemm" -> Workloads.gemm(device, gemmSize);
            case "conv" -> Workloads.conv(device, layer, batch);
            case "lstm" -> Workloads.lstm(device, batch);
            case "attn" -> Workloads.attention(device, batch);
            case "model" -> Workloads.model(device, model, batch);
            case "train" -> Workloads.trainStep(device, model, batch);
            default -> throw new IllegalStateException("unknown kernel " + kernel);
        };
    }

    /** The row as the PyTorch peer script reads it. */
    public Map<String, Object> torchRow() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kernel", kernel);
        m.put("name", name);
        m.put("batch", batch);
        switch (kernel) {
            case "gemm" -> m.put("n", gemmSize);
            case "conv" -> {
                m.put("inC", layer.inC());
                m.put("outC", layer.outC());
                m.put("inH", layer.inH());
                m.put("inW", layer.inW());
                m.put("kernel_size", layer.kernel());
                m.put("stride", layer.stride());
                m.put("padding", layer.padding());
                m.put("bias", layer.bias());
            }
            case "lstm" -> {
                m.put("steps", Workloads.LSTM_STEPS);
                m.put("input", Workloads.LSTM_INPUT);
                m.put("hidden", Workloads.LSTM_HIDDEN);
            }
            case "attn" -> {
                m.put("heads", Workloads.ATTENTION_HEADS);
                m.put("tokens", Workloads.ATTENTION_TOKENS);
                m.put("dim", Workloads.ATTENTION_DIM);
            }
            default -> { }
        }
        return m;
    }
}
