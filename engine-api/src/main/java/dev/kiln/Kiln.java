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

    /**
     * The device named {@code cpu}, {@code cuda:0}, {@code opencl:1} ({@code cuda} means {@code cuda:0}),
     * optionally in a math mode its backend offers: {@code cuda:0@tf32} (see
     * {@link BackendProvider#precisions()}). A precision makes a separate device; on a backend that
     * offers only fp32, {@code cpu@fp32} is the same device as {@code cpu}.
     */
    public static Device device(String name) {
        int at = name.indexOf('@');
        String base = at < 0 ? name : name.substring(0, at);
        String canonical = base.contains(":") ? base : base + ":0";
        String prefix = canonical.substring(0, canonical.indexOf(':'));
        int index;
        try {
            index = Integer.parseInt(canonical.substring(canonical.indexOf(':') + 1));
        } catch (NumberFormatException e) {
            throw new BackendUnavailableException("device '" + name + "': expected NAME, NAME:INDEX or NAME:INDEX@PRECISION, e.g. cuda:0");
        }
        String key = prefix.equals("cpu") ? "cpu" : canonical;
        if (at < 0) return DEVICES.computeIfAbsent(key, k -> open(prefix, index, null, k));
        String precision = name.substring(at + 1).trim().toLowerCase(java.util.Locale.ROOT);
        List<String> offered = provider(prefix, name).precisions();
        if (!offered.contains(precision)) {
            throw new BackendUnavailableException("device '" + name + "': " + prefix + " offers the precisions "
                    + String.join(", ", offered) + ", not '" + precision + "'");
        }
        // A backend with a single mode has one device per index, whatever the name says.
        if (offered.size() == 1) return DEVICES.computeIfAbsent(key, k -> open(prefix, index, null, k));
        return DEVICES.computeIfAbsent(key + "@" + precision, k -> open(prefix, index, precision, k));
    }

    private static BackendProvider provider(String prefix, String deviceName) {
        return providers().stream().filter(p -> p.name().equals(prefix)).findFirst()
                .orElseThrow(() -> new BackendUnavailableException("device '" + deviceName + "': no backend named '" + prefix
                        + "' on the class path (found: " + providers().stream().map(BackendProvider::name).toList() + ")"));
    }

    private static Device open(String prefix, int index, String precision, String key) {
        BackendProvider provider = provider(prefix, key);
        provider.unavailableReason().ifPresent(why -> {
            throw new BackendUnavailableException("device '" + key + "' is unavailable: " + why);
        });
        if (index < 0 || index >= provider.devices().size()) {
            throw new BackendUnavailableException("device '" + key + "': " + prefix + " has " + provider.devices().size() + " device(s)");
        }
        Backend backend = precision == null ? provider.open(index) : provider.open(index, precision);
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
