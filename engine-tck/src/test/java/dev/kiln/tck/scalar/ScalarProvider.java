package dev.kiln.tck.scalar;

import dev.kiln.spi.Backend;
import dev.kiln.spi.BackendProvider;
import java.util.List;
import java.util.Optional;

/** Registers {@link ScalarBackend} as device {@code scalar} (rank -100: never the default). */
public final class ScalarProvider implements BackendProvider {
    @Override public String name() { return "scalar"; }

    @Override public int rank() { return -100; }

    @Override public Optional<String> unavailableReason() { return Optional.empty(); }

    /** Two devices, so the kit's device-mismatch checks run here too ({@code scalar:0} and {@code scalar:1}). */
    @Override public List<String> devices() { return List.of("primitives-only scalar Java reference backend", "second scalar device"); }

    @Override public Backend open(int index) { return new ScalarBackend(); }
}
