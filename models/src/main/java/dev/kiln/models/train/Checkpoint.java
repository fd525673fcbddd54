package dev.kiln.models.train;

import dev.kiln.Device;
import dev.kiln.Tensor;
import dev.kiln.io.SafeTensors;
import dev.kiln.io.SafeTensorsException;
import dev.kiln.nn.Module;
import dev.kiln.optim.Optimizer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Model and optimizer state in one safetensors file: the model's state dict under {@code model.},
 * the optimizer's under {@code optimizer.}, the run's position (epoch, step, history) in the metadata.
 * Written to a temporary file and moved into place, so a crash never leaves half a checkpoint.
 * Every training command saves one per epoch with {@link #metadata} and resumes with {@link #resume}.
 */
final class Checkpoint {
    static final String MODEL = "model.", OPTIMIZER = "optimizer.";

    private Checkpoint() {}

    /**
     * The metadata every training checkpoint starts with: the model's name (checked on resume), the last
     * finished epoch, the optimizer steps so far, the per-epoch history, and the options that shape the run
     * (under their command-line names, so a resumed run can say which one it changed).
     */
    static Map<String, String> metadata(String model, int epoch, long step, History history, Map<String, String> options) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", model);
        meta.put("epoch", Integer.toString(epoch));
        meta.put("step", Long.toString(step));
        meta.putAll(options);
        meta.put("history", history.encode());
        return meta;
    }

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
    record Contents(Path file, Map<String, Tensor> model, Map<String, Tensor> optimizer, Map<String, String> metadata) implements AutoCloseable {
        String require(String key) {
            String v = metadata.get(key);
            if (v == null) throw new SafeTensorsException(file + ": checkpoint metadata has no '" + key + "'");
            return v;
        }

        /** The last epoch the checkpointed run finished. */
        int epoch() { return Integer.parseInt(require("epoch")); }

        /** Optimizer steps taken by the checkpointed run. */
        long step() { return Long.parseLong(require("step")); }

        History history() { return History.decode(metadata.get("history")); }

        /** Copies the checkpoint's weights into {@code target} and its moments and step counts into {@code optimizer}. */
        void restore(Module target, Optimizer optimizer) {
            target.loadStateDict(model, file.toString());
            optimizer.loadStateDict(this.optimizer);
        }

        /** Says which of {@code now} differ from the checkpoint's: the run continues, but no longer repeats the original. */
        void noteChangedOptions(PrintStream log, Map<String, String> now) {
            now.forEach((key, value) -> {
                String then = metadata.get(key);
                if (then != null && !then.equals(value)) {
                    log.printf(Locale.ROOT, "note: the checkpoint was made with --%s %s, this run uses %s, so it will not repeat the original run exactly%n",
                            key, then, value);
                }
            });
        }

        @Override
        public void close() {
            model.values().forEach(Tensor::close);
            optimizer.values().forEach(Tensor::close);
        }
    }

    /** Reads a checkpoint to resume a run of {@code modelName} from; a missing file or another model's checkpoint is an error naming the file. */
    static Contents resume(Path file, Device device, String modelName) {
        if (!Files.isRegularFile(file)) throw new CheckpointException("cannot resume from " + file + ": there is no such file");
        Contents c = read(file, device);
        String made = c.metadata().get("model");
        if (!modelName.equals(made)) {
            c.close();
            throw new CheckpointException("cannot resume " + modelName + " from " + file + ": it is a checkpoint of "
                    + (made == null ? "no kiln train run (its metadata names no model)" : made));
        }
        return c;
    }

    static Contents read(Path file, Device device) {
        Map<String, Tensor> model = new LinkedHashMap<>(), optimizer = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(file)) {
            for (String name : st.names()) {
                if (name.startsWith(MODEL)) model.put(name.substring(MODEL.length()), st.load(name, device));
                else if (name.startsWith(OPTIMIZER)) optimizer.put(name.substring(OPTIMIZER.length()), st.load(name, device));
                else throw new SafeTensorsException(file + ": tensor '" + name + "' belongs to neither the model nor the optimizer");
            }
            return new Contents(file, model, optimizer, Map.copyOf(st.metadata()));
        } catch (RuntimeException e) {
            model.values().forEach(Tensor::close);
            optimizer.values().forEach(Tensor::close);
            throw e;
        }
    }
}
