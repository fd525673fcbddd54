package dev.kiln.data;

import dev.kiln.KilnException;

/** A data file that cannot be read as its format says: the message names the file and the byte offset. */
public class DataFormatException extends KilnException {
    private final String file;
    private final long offset;

    public DataFormatException(String file, long offset, String problem) {
        super(file + " at byte offset " + offset + ": " + problem);
        this.file = file;
        this.offset = offset;
    }

    public DataFormatException(String file, long offset, String problem, Throwable cause) {
        super(file + " at byte offset " + offset + ": " + problem, cause);
        this.file = file;
        this.offset = offset;
    }

    /** The file, as given. */
    public String file() { return file; }

    /** Where in the file (in the decompressed stream for gzip files) the problem was found. */
    public long offset() { return offset; }
}
