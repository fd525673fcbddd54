package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.DType;
import dev.kiln.Device;
import dev.kiln.Kiln;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DataLoaderTest {
    static final Device CPU = Kiln.device("cpu");

    /** Example i is the float i (and target i), so a batch shows exactly which examples it holds. */
    record Numbers(int size) implements Dataset {
        @Override
        public HostBatch batch(int[] indices) {
            float[] x = new float[indices.length];
            long[] y = new long[indices.length];
            for (int i = 0; i < indices.length; i++) {
                x[i] = indices[i];
                y[i] = indices[i];
            }
            return new HostBatch(HostArray.ofFloats(x, indices.length, 1), HostArray.ofLongs(y, indices.length), indices.length);
        }
    }

    static List<long[]> targets(DataLoader loader, int epoch) {
        List<long[]> out = new ArrayList<>();
        try (DataLoader.Epoch it = loader.epoch(epoch, CPU)) {
            while (it.hasNext()) {
                try (Batch b = it.next()) {
                    assertEquals(DType.F32, b.input().dtype());
                    assertEquals(DType.I64, b.target().dtype());
                    assertSame(CPU, b.input().device());
                    long[] y = b.target().toLongArray();
                    float[] x = b.input().toFloatArray();
                    for (int i = 0; i < y.length; i++) assertEquals(y[i], (long) x[i]);
                    out.add(y);
                }
            }
        }
        return out;
    }

    @Test
    void sameSeedAndEpochGiveTheSameBatches() {
        DataLoader a = DataLoader.builder(new Numbers(129)).batchSize(16).shuffle(42).build();
        DataLoader b = DataLoader.builder(new Numbers(129)).batchSize(16).shuffle(42).prefetch(0).build();
        for (int epoch = 1; epoch <= 3; epoch++) {
            List<long[]> x = targets(a, epoch), y = targets(b, epoch);
            assertEquals(x.size(), y.size());
            for (int i = 0; i < x.size(); i++) assertArrayEquals(x.get(i), y.get(i), "epoch " + epoch + " batch " + i);
        }
        assertFalse(Arrays.equals(a.order(1), a.order(2)), "epochs must be shuffled differently");
        assertFalse(Arrays.equals(a.order(1), DataLoader.builder(new Numbers(129)).batchSize(16).shuffle(43).build().order(1)));
    }

    @Test
    void everyExampleOncePerEpochAndTheLastBatchIsPartialUnlessDropped() {
        DataLoader keep = DataLoader.builder(new Numbers(129)).batchSize(16).shuffle(7).build();
        List<long[]> batches = targets(keep, 5);
        assertEquals(9, batches.size());
        assertEquals(9, keep.batchesPerEpoch());
        assertEquals(1, batches.getLast().length);
        long[] all = batches.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        for (int i = 0; i < 129; i++) assertEquals(i, all[i]);
        assertNotEquals(0, batches.getFirst()[0] + batches.getFirst()[1] - 1, "shuffled, not 0, 1, ...");

        DataLoader drop = DataLoader.builder(new Numbers(129)).batchSize(16).shuffle(7).dropLast(true).build();
        List<long[]> dropped = targets(drop, 5);
        assertEquals(8, dropped.size());
        assertEquals(128, drop.examplesPerEpoch());
        for (int i = 0; i < 8; i++) assertArrayEquals(batches.get(i), dropped.get(i));
    }

    @Test
    void withoutShuffleBatchesAreInOrder() {
        DataLoader plain = DataLoader.builder(new Numbers(7)).batchSize(3).build();
        List<long[]> b = targets(plain, 1);
        assertArrayEquals(new long[] {0, 1, 2}, b.get(0));
        assertArrayEquals(new long[] {3, 4, 5}, b.get(1));
        assertArrayEquals(new long[] {6}, b.get(2));
    }

    @Test
    void prefetchRunsAheadOnAnotherThreadAndGivesTheSameBatches() throws InterruptedException {
        List<String> threads = java.util.Collections.synchronizedList(new ArrayList<>());
        Dataset recording = new Dataset() {
            final Numbers inner = new Numbers(64);

            @Override
            public int size() { return inner.size(); }

            @Override
            public HostBatch batch(int[] indices) {
                threads.add(Thread.currentThread().getName());
                return inner.batch(indices);
            }
        };
        DataLoader loader = DataLoader.builder(recording).batchSize(4).shuffle(3).prefetch(3).build();
        try (DataLoader.Epoch it = loader.epoch(1, CPU)) {
            assertTrue(it.hasNext());
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (threads.size() < 4 && System.nanoTime() < deadline) Thread.sleep(5); // the worker fills the queue ahead
            assertTrue(threads.size() >= 4, "prefetched " + threads.size());
            assertTrue(threads.stream().allMatch(n -> n.startsWith("kiln-prefetch")), threads.toString());
        }
        List<long[]> direct = new ArrayList<>();
        loader.hostBatches(1).forEachRemaining(h -> direct.add(h.target().longs()));
        List<long[]> fetched = targets(loader, 1);
        for (int i = 0; i < direct.size(); i++) assertArrayEquals(direct.get(i), fetched.get(i));
    }

    @Test
    void aFailureOnThePrefetchThreadReachesTheCaller() {
        Dataset failing = new Dataset() {
            @Override
            public int size() { return 10; }

            @Override
            public HostBatch batch(int[] indices) {
                if (indices[0] >= 4) throw new DataFormatException("broken.idx", 99, "bad record");
                return new Numbers(10).batch(indices);
            }
        };
        DataLoader loader = DataLoader.builder(failing).batchSize(2).prefetch(2).build();
        try (DataLoader.Epoch it = loader.epoch(1, CPU)) {
            it.next().close();
            it.next().close();
            DataFormatException e = assertThrows(DataFormatException.class, it::hasNext);
            assertEquals(99, e.offset());
            assertFalse(it.hasNext());
        }
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(new Numbers(3)).batchSize(0));
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(new Numbers(3)).prefetch(-1));
    }
}
