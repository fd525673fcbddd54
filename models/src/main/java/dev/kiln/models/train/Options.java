package dev.kiln.models.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** {@code --name value} options of one subcommand; unknown names and malformed values are usage errors. */
final class Options {
    private final String command;
    private final Map<String, String> values = new LinkedHashMap<>();

    Options(String command, String[] args, int from, Set<String> known) {
        this.command = command;
        for (int i = from; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) throw new UsageException(command + ": unexpected argument '" + a + "'");
            String name = a.substring(2), value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else {
                if (i + 1 >= args.length) throw new UsageException(command + ": --" + name + " needs a value");
                value = args[++i];
            }
            if (!known.contains(name)) throw new UsageException(command + ": unknown option --" + name + " (known: --" + String.join(", --", known) + ")");
            values.put(name, value);
        }
    }

    String string(String name, String fallback) { return values.getOrDefault(name, fallback); }

    Path path(String name, Path fallback) {
        String v = values.get(name);
        return v == null ? fallback : Path.of(v);
    }

    Path requiredPath(String name) {
        String v = values.get(name);
        if (v == null) throw new UsageException(command + ": --" + name + " is required");
        return Path.of(v);
    }

    int integer(String name, int fallback, int min) {
        String v = values.get(name);
        if (v == null) return fallback;
        try {
            int n = Integer.parseInt(v);
            if (n < min) throw new UsageException(command + ": --" + name + " must be at least " + min + ", got " + n);
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " expects a whole number, got '" + v + "'");
        }
    }

    long longValue(String name, long fallback) {
        String v = values.get(name);
        if (v == null) return fallback;
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " expects a whole number, got '" + v + "'");
        }
    }

    double positive(String name, double fallback) {
        String v = values.get(name);
        if (v == null) return fallback;
        try {
            double d = Double.parseDouble(v);
            if (!(d > 0) || Double.isInfinite(d)) throw new UsageException(command + ": --" + name + " must be a positive number, got " + v);
            return d;
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " expects a number, got '" + v + "'");
        }
    }

    /** A command line that cannot be run as given; {@link Train} prints it with the usage. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) { super(message); }
    }
}
