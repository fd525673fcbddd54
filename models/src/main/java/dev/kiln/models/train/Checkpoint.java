package dev.kiln.models.train;

import dev.kiln.Device;
import dev.kiln.Tensor;
import dev.kiln.io.SafeTensors;
import dev.kiln.io.SafeTensorsException;
import dev.kiln.nn.Module;
import dev.kiln.optim.Optimizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Model and optimizer state in one safetensors file: the model's state dict under {@code model.},
 * the optimizer's under {@code optimizer.}, the run's position (epoch, step, history) in the metadata.
 * Written to a temporary file and moved into place, so a crash never leaves half a checkpoint.
 */
final class Checkpoint {
    static final String MODEL = "model.", OPTIMIZER = "optimizer.";

    private Checkpoint() {}

    /** Saves the model and the optimizer's state (copies, freed here once written). */
    static void save(Path file, Module model, Optimizer optimizer, Map<String, String> metadata) {
        Map<String, Tensor> state = optimizer.stateDict();
        try {
            save(file, model, state, metadata);
        } finally {
            state.values().forEach(Tensor::close);
        }
    }

    static void save(Path file, Module model, Map<String, Tensor> optimizerState, Map<String, String> metadata) {
        Map<String, Tensor> all = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> all.put(MODEL + k, v));
        optimizerState.forEach((k, v) -> all.put(OPTIMIZER + k, v));
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("producer", "kiln train");
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".part");
            try {
                SafeTensors.save(tmp, all, meta);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /** A checkpoint's tensors on a device, split by owner, and its metadata; closing frees the tensors. */
    record Contents(Map<String, Tensor> model, Map<String, Tensor> optimizer, Map<String, String> metadata) implements AutoCloseable {
        String require(String key) {
            String v = metadata.get(key);
            if (v == null) throw new SafeTensorsException("checkpoint metadata has no '" + key + "'");
            return v;
        }

        @Override
        public void close() {
            model.values().forEach(Tensor::close);
            optimizer.values().forEach(Tensor::close);
        }
    }

    static Contents read(Path file, Device device) {
        Map<String, Tensor> model = new LinkedHashMap<>(), optimizer = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(file)) {
            for (String name : st.names()) {
                if (name.startsWith(MODEL)) model.put(name.substring(MODEL.length()), st.load(name, device));
                else if (name.startsWith(OPTIMIZER)) optimizer.put(name.substring(OPTIMIZER.length()), st.load(name, device));
                else throw new SafeTensorsException(file + ": tensor '" + name + "' belongs to neither the model nor the optimizer");
            }
            return new Contents(model, optimizer, Map.copyOf(st.metadata()));
        } catch (RuntimeException e) {
            model.values().forEach(Tensor::close);
            optimizer.values().forEach(Tensor::close);
            throw e;
        }
    }
}
