package dev.kiln;

import dev.kiln.spi.Backend;
import dev.kiln.spi.BackendProvider;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Entry point: finds backends, opens devices, opens scopes.
 * <pre>{@code
 * Device gpu = Kiln.device("cuda:0");
 * Device any = Kiln.defaultDevice();   // highest-ranked available backend, or -Dkiln.device / KILN_DEVICE
 * }</pre>
 */
public final class Kiln {
    private static final Map<String, Device> DEVICES = new ConcurrentHashMap<>();
    private static volatile List<BackendProvider> providers;

    private Kiln() {}

    /** Every backend plugin on the class path, highest rank first. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> p = providers;
        if (p == null) {
            List<BackendProvider> found = new ArrayList<>();
            ServiceLoader.load(BackendProvider.class).forEach(found::add);
            found.sort(Comparator.comparingInt(BackendProvider::rank).reversed());
            providers = p = List.copyOf(found);
        }
        return p;
    }

    /** The device named {@code cpu}, {@code cuda:0}, {@code opencl:1} ({@code cuda} means {@code cuda:0}). */
    public static Device device(String name) {
        String canonical = name.contains(":") ? name : name + ":0";
        String prefix = canonical.substring(0, canonical.indexOf(':'));
        int index;
        try {
            index = Integer.parseInt(canonical.substring(canonical.indexOf(':') + 1));
        } catch (NumberFormatException e) {
            throw new BackendUnavailableException("device '" + name + "': expected NAME or NAME:INDEX, e.g. cuda:0");
        }
        String key = prefix.equals("cpu") ? "cpu" : canonical;
        return DEVICES.computeIfAbsent(key, k -> open(prefix, index, k));
    }

    private static Device open(String prefix, int index, String key) {
        BackendProvider provider = providers().stream().filter(p -> p.name().equals(prefix)).findFirst()
                .orElseThrow(() -> new BackendUnavailableException("device '" + key + "': no backend named '" + prefix
                        + "' on the class path (found: " + providers().stream().map(BackendProvider::name).toList() + ")"));
        provider.unavailableReason().ifPresent(why -> {
            throw new BackendUnavailableException("device '" + key + "' is unavailable: " + why);
        });
        if (index < 0 || index >= provider.devices().size()) {
            throw new BackendUnavailableException("device '" + key + "': " + prefix + " has " + provider.devices().size() + " device(s)");
        }
        Backend backend = provider.open(index);
        return new Device(key, backend);
    }

    /** {@code -Dkiln.device}, else {@code KILN_DEVICE}, else device 0 of the highest-ranked available backend. */
    public static Device defaultDevice() {
        String named = System.getProperty("kiln.device", System.getenv("KILN_DEVICE"));
        if (named != null && !named.isBlank()) return device(named.trim());
        for (BackendProvider p : providers()) {
            if (p.unavailableReason().isEmpty() && !p.devices().isEmpty()) return device(p.name() + ":0");
        }
        throw new BackendUnavailableException("no backend is available (found: " + providers().stream().map(BackendProvider::name).toList() + ")");
    }

    /** Opens a scope on this thread; see {@link Scope}. */
    public static Scope scope() { return new Scope(); }
}
