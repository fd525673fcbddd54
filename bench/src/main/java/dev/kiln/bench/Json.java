package dev.kiln.bench;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** A minimal JSON writer for the report: maps, lists, strings, numbers, booleans and null. */
public final class Json {
    private Json() {}

    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, 0);
        return out.append('\n').toString();
    }

    private static void write(StringBuilder out, Object v, int indent) {
        switch (v) {
            case null -> out.append("null");
            case String s -> quote(out, s);
            case Boolean b -> out.append(b);
            case Double d -> number(out, d);
            case Float f -> number(out, f.doubleValue());
            case Number n -> out.append(n.longValue());
            case Map<?, ?> m -> object(out, m, indent);
            case List<?> l -> array(out, l, indent);
            default -> quote(out, v.toString());
        }
    }

    private static void number(StringBuilder out, double d) {
        // JSON has no NaN or infinity: a measurement that does not exist is null.
        if (Double.isNaN(d) || Double.isInfinite(d)) out.append("null");
        else if (d == Math.rint(d) && Math.abs(d) < 1e15) out.append((long) d);
        else out.append(d);
    }

    private static void object(StringBuilder out, Map<?, ?> m, int indent) {
        if (m.isEmpty()) {
            out.append("{}");
            return;
        }
        out.append("{\n");
        Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<?, ?> e = it.next();
            pad(out, indent + 1);
            quote(out, String.valueOf(e.getKey()));
            out.append(": ");
            write(out, e.getValue(), indent + 1);
            out.append(it.hasNext() ? ",\n" : "\n");
        }
        pad(out, indent);
        out.append('}');
    }

    private static void array(StringBuilder out, List<?> l, int indent) {
        if (l.isEmpty()) {
            out.append("[]");
            return;
        }
        boolean flat = l.stream().noneMatch(x -> x instanceof Map || x instanceof List);
        if (flat) {
            out.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) out.append(", ");
                write(out, l.get(i), indent);
            }
            out.append(']');
            return;
        }
        out.append("[\n");
        for (int i = 0; i < l.size(); i++) {
            pad(out, indent + 1);
            write(out, l.get(i), indent + 1);
            out.append(i + 1 < l.size() ? ",\n" : "\n");
        }
        pad(out, indent);
        out.append(']');
    }

    private static void pad(StringBuilder out, int indent) { out.append("  ".repeat(indent)); }

    static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        out.append('"');
    }
}
