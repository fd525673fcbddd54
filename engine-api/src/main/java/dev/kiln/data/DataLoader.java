package dev.kiln.data;

import dev.kiln.Device;
import dev.kiln.KilnException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Batches of a {@link Dataset}: an order per epoch (a seeded shuffle, the same for the same seed and
 * epoch, so a resumed run sees the batches an uninterrupted one would), batching with an optional
 * dropped last partial batch, and assembly of the next batches on a background thread while the
 * caller trains on the current one. Batches reach the caller as tensors on its device; the upload
 * runs on the caller's thread, which owns the device's execution context.
 * <pre>{@code
 * DataLoader loader = DataLoader.builder(train).batchSize(64).shuffle(seed).dropLast(true).build();
 * try (DataLoader.Epoch it = loader.epoch(e, device)) {
 *     while (it.hasNext()) try (Batch b = it.next()) { ... }
 * }
 * }</pre>
 */
public final class DataLoader {
    private final Dataset dataset;
    private final int batchSize, prefetch;
    private final boolean shuffle, dropLast;
    private final long seed;

    private DataLoader(Builder b) {
        dataset = b.dataset;
        batchSize = b.batchSize;
        prefetch = b.prefetch;
        shuffle = b.shuffle;
        dropLast = b.dropLast;
        seed = b.seed;
    }

    public static Builder builder(Dataset dataset) { return new Builder(dataset); }

    public Dataset dataset() { return dataset; }

    public int batchSize() { return batchSize; }

    /** Batches in one epoch. */
    public int batchesPerEpoch() {
        int n = dataset.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** Examples in one epoch (fewer than the dataset's when the last partial batch is dropped). */
    public long examplesPerEpoch() { return dropLast ? (long) batchesPerEpoch() * batchSize : dataset.size(); }

    /** The example order of {@code epoch}: a Fisher-Yates shuffle seeded by (seed, epoch), or 0..n-1. */
    public int[] order(int epoch) {
        int n = dataset.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        if (!shuffle) return order;
        SplittableRandom rnd = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (epoch + 1L)));
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** The indices of batch {@code b} of an epoch with example order {@code order}. */
    private int[] indices(int[] order, int b) {
        int from = b * batchSize, to = Math.min(order.length, from + batchSize);
        int[] idx = new int[to - from];
        System.arraycopy(order, from, idx, 0, idx.length);
        return idx;
    }

    /** Host batches of {@code epoch}, assembled on the calling thread (no prefetch): what {@link #epoch} uploads. */
    public Iterator<HostBatch> hostBatches(int epoch) {
        int[] order = order(epoch);
        int batches = batchesPerEpoch();
        return new Iterator<>() {
            int next;

            @Override
            public boolean hasNext() { return next < batches; }

            @Override
            public HostBatch next() {
                if (!hasNext()) throw new NoSuchElementException();
                return dataset.batch(indices(order, next++));
            }
        };
    }

    /** Starts an epoch: batches come as tensors on {@code device}; close it to stop the prefetch thread early. */
    public Epoch epoch(int epoch, Device device) { return new Epoch(epoch, device); }

    /** The batches of one epoch, in order. Not thread-safe: one consumer. */
    public final class Epoch implements Iterator<Batch>, AutoCloseable {
        private static final Object END = new Object();
        private final Device device;
        private final Iterator<HostBatch> direct;
        private final BlockingQueue<Object> queue;
        private final Thread worker;
        private Object pending;
        private boolean finished;

        private Epoch(int epoch, Device device) {
            this.device = device;
            Iterator<HostBatch> source = hostBatches(epoch);
            if (prefetch == 0) {
                direct = source;
                queue = null;
                worker = null;
                return;
            }
            direct = null;
            queue = new ArrayBlockingQueue<>(prefetch + 1);
            worker = Thread.ofPlatform().daemon().name("kiln-prefetch-epoch-" + epoch).start(() -> produce(source));
        }

        private void produce(Iterator<HostBatch> source) {
            try {
                while (source.hasNext()) queue.put(source.next());
                queue.put(END);
            } catch (InterruptedException stopped) {
                // the consumer closed the epoch
            } catch (RuntimeException | Error e) {
                try {
                    queue.put(e);
                } catch (InterruptedException stopped) {
                    // the consumer closed the epoch
                }
            }
        }

        @Override
        public boolean hasNext() {
            if (direct != null) return direct.hasNext();
            if (finished) return false;
            if (pending == null) {
                try {
                    pending = queue.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new KilnException("interrupted while waiting for the next batch");
                }
            }
            if (pending == END) {
                finished = true;
                return false;
            }
            if (pending instanceof RuntimeException e) {
                finished = true;
                throw e;
            }
            if (pending instanceof Error e) {
                finished = true;
                throw e;
            }
            return true;
        }

        @Override
        public Batch next() {
            if (!hasNext()) throw new NoSuchElementException();
            HostBatch h;
            if (direct != null) {
                h = direct.next();
            } else {
                h = (HostBatch) pending;
                pending = null;
            }
            var input = h.input().toDevice(device);
            try {
                return new Batch(input, h.target().toDevice(device), h.size());
            } catch (RuntimeException e) {
                input.close();
                throw e;
            }
        }

        @Override
        public void close() {
            finished = true;
            if (worker != null) {
                worker.interrupt();
                try {
                    worker.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    public static final class Builder {
        private final Dataset dataset;
        private int batchSize = 1, prefetch = 2;
        private boolean shuffle, dropLast;
        private long seed;

        private Builder(Dataset dataset) { this.dataset = dataset; }

        public Builder batchSize(int n) {
            if (n < 1) throw new IllegalArgumentException("DataLoader: batch size must be at least 1, got " + n);
            batchSize = n;
            return this;
        }

        /** Shuffles each epoch with a permutation derived from {@code seed} and the epoch number. */
        public Builder shuffle(long seed) {
            shuffle = true;
            this.seed = seed;
            return this;
        }

        public Builder dropLast(boolean on) {
            dropLast = on;
            return this;
        }

        /** Batches assembled ahead on the background thread; 0 assembles each on the caller's thread. */
        public Builder prefetch(int n) {
            if (n < 0) throw new IllegalArgumentException("DataLoader: prefetch must be at least 0, got " + n);
            prefetch = n;
            return this;
        }

        public DataLoader build() { return new DataLoader(this); }
    }
}
