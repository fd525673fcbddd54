package dev.kiln.io;

import dev.kiln.DType;
import dev.kiln.Device;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
 * header mapping each name to {@code dtype}, {@code shape} and {@code data_offsets} [begin, end)
 * relative to the data section (plus an optional {@code __metadata__} map of strings), then the raw
 * little-endian data. Files are memory-mapped, validated entirely when opened (so nothing is ever
 * half-loaded), and read tensor by tensor.
 */
public final class SafeTensors implements AutoCloseable {
    /** Headers larger than this are refused (the reference implementation's limit). */
    public static final long MAX_HEADER_BYTES = 100L << 20;

    /** One entry of the header. */
    public record Entry(String name, DType dtype, Shape shape, long begin, long end) {}

    private final Path file;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, Arena arena, MemorySegment data, Map<String, Entry> entries, Map<String, String> metadata) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Maps and validates {@code file}. */
    public static SafeTensors open(Path file) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new SafeTensorsException(file + ": " + size + " bytes is too short for a safetensors header");
            return parse(file, arena, ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena));
        } catch (IOException e) {
            arena.close();
            throw new SafeTensorsException(file + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Parses a whole file already in memory ({@code bytes} must stay alive while this object is used). */
    public static SafeTensors parse(Path nameForErrors, MemorySegment bytes) {
        return parse(nameForErrors, null, bytes);
    }

    private static SafeTensors parse(Path file, Arena arena, MemorySegment all) {
        long size = all.byteSize();
        if (size < 8) throw new SafeTensorsException(file + ": " + size + " bytes is too short for a safetensors header");
        long n = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 2 || n > MAX_HEADER_BYTES || n > size - 8) {
            throw new SafeTensorsException(file + ": header size " + Long.toUnsignedString(n) + " does not fit a file of " + size + " bytes");
        }
        String json = new String(all.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        Object root;
        try {
            root = Json.parse(json);
        } catch (Json.ParseException e) {
            throw new SafeTensorsException(file + ": header is not valid JSON: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> map)) throw new SafeTensorsException(file + ": header is not a JSON object");
        MemorySegment data = all.asSlice(8 + n);
        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = (String) e.getKey();
            if (key.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> meta)) throw new SafeTensorsException(file + ": __metadata__ is not an object");
                for (Map.Entry<?, ?> m : meta.entrySet()) {
                    if (!(m.getValue() instanceof String v)) throw new SafeTensorsException(file + ": __metadata__ value of '" + m.getKey() + "' is not a string");
                    metadata.put((String) m.getKey(), v);
                }
                continue;
            }
            entries.put(key, entry(file, key, e.getValue(), data.byteSize()));
        }
        checkLayout(file, entries, data.byteSize());
        return new SafeTensors(file, arena, data, Collections.unmodifiableMap(entries), Collections.unmodifiableMap(metadata));
    }

    private static Entry entry(Path file, String key, Object v, long dataBytes) {
        String where = file + ": tensor '" + key + "'";
        if (!(v instanceof Map<?, ?> m)) throw new SafeTensorsException(where + ": entry is not an object");
        if (!(m.get("dtype") instanceof String dt)) throw new SafeTensorsException(where + ": missing dtype");
        DType dtype = switch (dt) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            case "I32" -> DType.I32;
            case "I64" -> DType.I64;
            default -> throw new SafeTensorsException(where + ": dtype " + dt + " is not supported (F32, F16, BF16, I32, I64)");
        };
        if (!(m.get("shape") instanceof List<?> sh)) throw new SafeTensorsException(where + ": missing shape");
        int[] dims = new int[sh.size()];
        for (int i = 0; i < dims.length; i++) {
            if (!(sh.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw new SafeTensorsException(where + ": shape " + sh + " has an invalid dimension");
            }
            dims[i] = (int) (long) d;
        }
        Shape shape;
        try {
            shape = Shape.of(dims);
        } catch (RuntimeException e) {
            throw new SafeTensorsException(where + ": " + e.getMessage());
        }
        if (!(m.get("data_offsets") instanceof List<?> off) || off.size() != 2
                || !(off.get(0) instanceof Long b) || !(off.get(1) instanceof Long end)) {
            throw new SafeTensorsException(where + ": data_offsets must be [begin, end]");
        }
        if (b < 0 || end < b || end > dataBytes) {
            throw new SafeTensorsException(where + ": data_offsets [" + b + ", " + end + "] are outside the data section of " + dataBytes + " bytes");
        }
        long expect = shape.numel() * dtype.byteSize();
        if (end - b != expect) {
            throw new SafeTensorsException(where + ": " + dtype + " " + shape + " needs " + expect + " bytes, data_offsets give " + (end - b));
        }
        return new Entry(key, dtype, shape, b, end);
    }

    /** The data section must be covered exactly, without overlaps or holes (as the reference implementation checks). */
    private static void checkLayout(Path file, Map<String, Entry> entries, long dataBytes) {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort((x, y) -> x.begin() != y.begin() ? Long.compare(x.begin(), y.begin()) : Long.compare(x.end(), y.end()));
        long at = 0;
        for (Entry e : sorted) {
            if (e.begin() != at) {
                throw new SafeTensorsException(file + ": tensor '" + e.name() + "' starts at byte " + e.begin() + " of the data section, expected "
                        + at + (e.begin() < at ? " (overlaps the previous tensor)" : " (a gap)"));
            }
            at = e.end();
        }
        if (at != dataBytes) throw new SafeTensorsException(file + ": the data section has " + dataBytes + " bytes, tensors cover " + at);
    }

    public Path file() { return file; }

    /** Names in header order. */
    public List<String> names() { return List.copyOf(entries.keySet()); }

    public Map<String, String> metadata() { return metadata; }

    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) throw new SafeTensorsException(file + ": no tensor named '" + name + "'");
        return e;
    }

    /** The raw little-endian bytes of {@code name}, mapped from the file. */
    public MemorySegment bytes(String name) {
        Entry e = entry(name);
        return data.asSlice(e.begin(), e.end() - e.begin());
    }

    /** Uploads {@code name} to {@code device} in its stored dtype. */
    public Tensor load(String name, Device device) {
        Entry e = entry(name);
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) throw new SafeTensorsException("safetensors: big-endian hosts are not supported");
        return device.fromSegment(bytes(name), e.dtype(), e.shape().dims());
    }

    @Override
    public void close() {
        if (arena != null) arena.close();
    }

    /** Writes tensors (in map order) and string metadata; the header is padded with spaces to a multiple of 8 bytes. */
    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) throw new SafeTensorsException("safetensors: big-endian hosts are not supported");
        StringBuilder h = new StringBuilder("{");
        if (metadata != null && !metadata.isEmpty()) {
            h.append("\"__metadata__\":{");
            boolean first = true;
            for (var m : metadata.entrySet()) {
                if (!first) h.append(',');
                first = false;
                h.append(Json.quote(m.getKey())).append(':').append(Json.quote(m.getValue()));
            }
            h.append('}');
        }
        long offset = 0;
        for (var t : tensors.entrySet()) {
            if (t.getKey().equals("__metadata__")) throw new SafeTensorsException(file + ": '__metadata__' cannot name a tensor");
            Tensor x = t.getValue();
            long bytes = x.numel() * x.dtype().byteSize();
            if (h.length() > 1) h.append(',');
            h.append(Json.quote(t.getKey())).append(":{\"dtype\":\"").append(x.dtype().fileName()).append("\",\"shape\":[");
            int[] d = x.shape().dims();
            for (int i = 0; i < d.length; i++) h.append(i == 0 ? "" : ",").append(d[i]);
            h.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        h.append('}');
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (header.length + 7) / 8 * 8;
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Arena arena = Arena.ofConfined();
             FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE,
                     StandardOpenOption.READ)) {
            long total = 8 + padded + offset;
            MemorySegment out = ch.map(FileChannel.MapMode.READ_WRITE, 0, total, arena);
            out.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, padded);
            MemorySegment.copy(MemorySegment.ofArray(header), 0, out, 8, header.length);
            for (int i = header.length; i < padded; i++) out.set(ValueLayout.JAVA_BYTE, 8 + i, (byte) ' ');
            long at = 8 + padded;
            for (Tensor x : tensors.values()) {
                long bytes = x.numel() * x.dtype().byteSize();
                x.copyTo(out.asSlice(at, bytes));
                at += bytes;
            }
            out.force();
        } catch (IOException e) {
            throw new SafeTensorsException(file + ": cannot write: " + e.getMessage(), e);
        }
        try {
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new SafeTensorsException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
