package dev.kiln.cpu;

/**
 * A B operand packed once, for a product that is run many times with the same B (an RNN's recurrent
 * weights, once per time step): every K step of {@link Gemm#KC} holds all of B's NR-column panels
 * side by side, so {@link Gemm} reads a block of panels in place instead of packing it again.
 * Made by {@link Gemm#prepack}, for that Gemm's NR.
 */
final class PackedPanels implements Panels {
    private final float[] data;
    private final int n, k, nr, panels;

    private PackedPanels(float[] data, int n, int k, int nr) {
        this.data = data;
        this.n = n;
        this.k = k;
        this.nr = nr;
        this.panels = (n + nr - 1) / nr;
    }

    /** Packs {@code src} (N x K, batch entry 0) once; {@code nc} is the widest block packed at a time. */
    static PackedPanels of(Panels src, int n, int k, int nr, int nc) {
        int panels = (n + nr - 1) / nr;
        float[] data = new float[panels * nr * k];
        float[] block = new float[nc * Gemm.KC], scratch = new float[Gemm.SCRATCH];
        for (int k0 = 0; k0 < k; k0 += Gemm.KC) {
            int kc = Math.min(Gemm.KC, k - k0);
            for (int n0 = 0; n0 < n; n0 += nc) {
                int cols = Math.min(nc, n - n0);
                src.pack(0, n0, cols, k0, kc, nr, block, scratch);
                System.arraycopy(block, 0, data, k0 * panels * nr + (n0 / nr) * kc * nr, (cols + nr - 1) / nr * kc * nr);
            }
        }
        return new PackedPanels(data, n, k, nr);
    }

    float[] data() { return data; }

    /** Where the panels of columns from {@code n0} (a multiple of NR) start, in the K step from {@code k0} (a multiple of KC). */
    int blockOffset(int n0, int k0, int kc) { return k0 * panels * nr + (n0 / nr) * kc * nr; }

    int panelWidth() { return nr; }

    @Override
    public void pack(int bi, int r0, int rows, int k0, int kc, int w, float[] dst, float[] scratch) {
        if (w != nr || r0 % nr != 0 || k0 % Gemm.KC != 0 || (kc != Gemm.KC && k0 + kc != k) || r0 + rows > n) {
            throw new IllegalStateException("packed panels of width " + nr + " cannot serve rows " + r0 + "+" + rows + ", k " + k0 + "+" + kc);
        }
        System.arraycopy(data, blockOffset(r0, k0, kc), dst, 0, (rows + nr - 1) / nr * kc * nr);
        Panels.zeroTail(rows, kc, w, dst);
    }
}
