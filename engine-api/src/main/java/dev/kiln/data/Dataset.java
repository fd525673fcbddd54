package dev.kiln.data;

/**
 * Examples addressed by index. {@link #batch} must be safe to call from a background thread while the
 * caller trains: datasets are read-only after construction.
 */
public interface Dataset {
    /** Number of examples. */
    int size();

    /** The examples at {@code indices}, stacked along a new first axis. */
    HostBatch batch(int[] indices);
}
