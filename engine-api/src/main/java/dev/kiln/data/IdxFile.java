package dev.kiln.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * An array in LeCun's IDX format (the MNIST files): two zero bytes, an element-type byte, a dimension
 * count, that many big-endian 32-bit sizes, then the elements, big-endian, row-major. Gzip-compressed
 * files are recognized by their magic bytes, whatever the name. The elements stay as stored (one byte per
 * pixel for MNIST) in off-heap memory; callers convert the records they use.
 */
public final class IdxFile {
    /** The element types the format defines, by their type byte. */
    public enum ElementType {
        U8(0x08, 1), I8(0x09, 1), I16(0x0B, 2), I32(0x0C, 4), F32(0x0D, 4), F64(0x0E, 8);

        final int code, bytes;

        ElementType(int code, int bytes) {
            this.code = code;
            this.bytes = bytes;
        }

        public int byteSize() { return bytes; }

        static ElementType of(int code) {
            for (ElementType t : values()) if (t.code == code) return t;
            return null;
        }
    }

    private static final ValueLayout.OfShort I16_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt I32_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfFloat F32_BE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfDouble F64_BE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** Gzip streams do not say how much they hold, so their buffer grows from this size up to what the header promises. */
    private static final long FIRST_GZIP_CHUNK = 1 << 20;

    private final String name;
    private final ElementType type;
    private final int[] dims;
    private final long count;
    private final MemorySegment data;

    private IdxFile(String name, ElementType type, int[] dims, long count, MemorySegment data) {
        this.name = name;
        this.type = type;
        this.dims = dims;
        this.count = count;
        this.data = data;
    }

    /** Reads a plain or gzip-compressed IDX file. */
    public static IdxFile read(Path file) {
        try (InputStream raw = Files.newInputStream(file)) {
            long size = Files.size(file);
            return parse(file.toString(), raw, size);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses IDX bytes, plain or gzip-compressed; {@code name} is used in error messages. */
    public static IdxFile parse(String name, byte[] bytes) {
        try {
            return parse(name, new ByteArrayInputStream(bytes), bytes.length);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail to read
        }
    }

    private static IdxFile parse(String name, InputStream raw, long rawSize) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
        in.mark(2);
        boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
        in.reset();
        if (!gzip) return new Reader(name, in, rawSize, false).read();
        GZIPInputStream unzipped;
        try {
            unzipped = new GZIPInputStream(in, 1 << 16);
        } catch (ZipException | java.io.EOFException e) {
            throw new DataFormatException(name, 0, "not a valid gzip stream: " + e.getMessage(), e);
        }
        return new Reader(name, unzipped, -1, true).read();
    }

    /** Reads one stream, counting bytes so every error can say where it happened. */
    private static final class Reader {
        private final String name;
        private final InputStream in;
        private final long knownSize;
        private final boolean gzip;
        private long position;

        Reader(String name, InputStream in, long knownSize, boolean gzip) {
            this.name = name;
            this.in = in;
            this.knownSize = knownSize;
            this.gzip = gzip;
        }

        IdxFile read() throws IOException {
            byte[] magic = readFully(4, "the 4-byte magic number");
            if (magic[0] != 0 || magic[1] != 0) {
                throw error(magic[0] != 0 ? 0 : 1, "IDX magic number must start with two zero bytes, found 0x"
                        + String.format("%02x%02x", magic[0] & 0xff, magic[1] & 0xff));
            }
            ElementType type = ElementType.of(magic[2] & 0xff);
            if (type == null) {
                throw error(2, String.format("unknown element type 0x%02x (expected 08, 09, 0b, 0c, 0d or 0e)", magic[2] & 0xff));
            }
            int rank = magic[3] & 0xff;
            if (rank == 0) throw error(3, "dimension count is 0, expected at least 1");
            int[] dims = new int[rank];
            long count = 1;
            for (int i = 0; i < rank; i++) {
                long at = position;
                byte[] b = readFully(4, "dimension " + i + " of " + rank);
                long d = ((b[0] & 0xffL) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
                if (d > Integer.MAX_VALUE) throw error(at, "dimension " + i + " is " + d + ", more than 2^31-1");
                dims[i] = (int) d;
                count = multiply(count, d, at);
            }
            long bytes = multiply(count, type.bytes, position - 4);
            long dataStart = position;
            if (knownSize >= 0 && knownSize - dataStart < bytes) {
                throw error(knownSize, "file ends after " + (knownSize - dataStart) + " data bytes; the header "
                        + Arrays.toString(dims) + " of " + type + " promises " + bytes);
            }
            MemorySegment data = readData(bytes, dims, type);
            int extra = readTrailing();
            if (extra >= 0) throw error(dataStart + bytes, "unexpected bytes after the " + bytes + " data bytes the header promises");
            return new IdxFile(name, type, dims, count, data);
        }

        private long multiply(long a, long b, long at) {
            long r = a * b;
            if (b != 0 && (r / b != a || r > (1L << 46))) {
                throw error(at, "the dimensions give more elements than this reader accepts (over 2^46 bytes)");
            }
            return r;
        }

        private MemorySegment readData(long bytes, int[] dims, ElementType type) throws IOException {
            Arena arena = Arena.ofAuto();
            long capacity = gzip ? Math.min(bytes, FIRST_GZIP_CHUNK) : bytes;
            MemorySegment seg = arena.allocate(Math.max(capacity, 1), 8);
            byte[] buffer = new byte[1 << 16];
            long filled = 0;
            while (filled < bytes) {
                int want = (int) Math.min(buffer.length, bytes - filled);
                int n = read(buffer, want);
                if (n < 0) {
                    throw error(position, "file ends after " + filled + " data bytes; the header " + Arrays.toString(dims)
                            + " of " + type + " promises " + bytes);
                }
                if (filled + n > seg.byteSize()) {
                    MemorySegment bigger = arena.allocate(Math.min(bytes, Math.max(seg.byteSize() * 2, filled + n)), 8);
                    MemorySegment.copy(seg, 0, bigger, 0, filled);
                    seg = bigger;
                }
                MemorySegment.copy(buffer, 0, seg, ValueLayout.JAVA_BYTE, filled, n);
                filled += n;
            }
            return seg.asSlice(0, bytes);
        }

        private int readTrailing() throws IOException {
            byte[] one = new byte[1];
            return read(one, 1) < 0 ? -1 : one[0] & 0xff;
        }

        private byte[] readFully(int n, String what) throws IOException {
            byte[] b = new byte[n];
            int got = 0;
            while (got < n) {
                int r = readInto(b, got, n - got);
                if (r < 0) throw error(position, "file ends inside " + what);
                got += r;
            }
            return b;
        }

        private int read(byte[] b, int n) throws IOException { return readInto(b, 0, n); }

        /** One read; gzip corruption surfaces here and becomes a format error at the current offset. */
        private int readInto(byte[] b, int off, int n) throws IOException {
            int r;
            try {
                r = in.read(b, off, n);
            } catch (ZipException | java.io.EOFException e) {
                throw error(position, "corrupt gzip stream: " + e.getMessage());
            }
            if (r > 0) position += r;
            return r;
        }

        private DataFormatException error(long offset, String problem) {
            return new DataFormatException(name, offset, gzip ? problem + " (offsets count decompressed bytes)" : problem);
        }
    }

    public String name() { return name; }

    public ElementType type() { return type; }

    public int[] dims() { return dims.clone(); }

    public int rank() { return dims.length; }

    public int dim(int axis) { return dims[axis]; }

    /** All elements. */
    public long count() { return count; }

    /** Elements per record (the product of every dimension after the first). */
    public long recordSize() { return dims[0] == 0 ? 0 : count / dims[0]; }

    /** Element {@code index} (row-major over all dimensions), as a double. */
    public double get(long index) {
        if (index < 0 || index >= count) throw new IndexOutOfBoundsException(name + ": element " + index + " of " + count);
        return switch (type) {
            case U8 -> Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, index));
            case I8 -> data.get(ValueLayout.JAVA_BYTE, index);
            case I16 -> data.get(I16_BE, index * 2);
            case I32 -> data.get(I32_BE, index * 4);
            case F32 -> data.get(F32_BE, index * 4);
            case F64 -> data.get(F64_BE, index * 8);
        };
    }

    /** Element {@code index} of a U8 file, 0 to 255, without the general path's switch. */
    public int unsignedByte(long index) {
        if (type != ElementType.U8) throw new IllegalStateException(name + " holds " + type + ", not U8");
        return Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, index));
    }

    /** The raw (big-endian) bytes of record {@code i}. */
    public MemorySegment record(int i) {
        if (i < 0 || i >= dims[0]) throw new IndexOutOfBoundsException(name + ": record " + i + " of " + dims[0]);
        long size = recordSize() * type.bytes;
        return data.asSlice(i * size, size);
    }

    @Override
    public String toString() { return "IdxFile[" + name + ", " + type + " " + Arrays.toString(dims) + "]"; }
}
