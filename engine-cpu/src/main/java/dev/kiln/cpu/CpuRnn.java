package dev.kiln.cpu;

import static dev.kiln.cpu.CpuFastPaths.floats;
import static dev.kiln.cpu.CpuFastPaths.off;
import static dev.kiln.cpu.CpuFastPaths.seg;
import static dev.kiln.cpu.Elem.F;

import dev.kiln.DType;
import dev.kiln.Device;
import dev.kiln.Kiln;
import dev.kiln.KilnException;
import dev.kiln.RnnGrads;
import dev.kiln.RnnParams;
import dev.kiln.RnnResult;
import dev.kiln.Scope;
import dev.kiln.Tensor;
import dev.kiln.composite.RnnComposite;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * LSTM and GRU over a whole sequence ({@code torch.nn.LSTM} / {@code GRU} semantics, as
 * {@link dev.kiln.composite.RnnComposite}) on raw buffers. Per layer and direction: ONE GEMM projects
 * the whole sequence's input, {@code [T * N, in] · W_ih^T} with the biases fused; then per step one
 * product {@code h_{t-1} · W_hh^T} ({@link RecurrentProduct}, W_hh packed once) and one fused gate
 * pass ({@link RnnKernels}) that applies the nonlinearities and the state update, parallel over
 * batch rows and column chunks. Backward: per step the fused gate-gradient pass and
 * {@code dh_{t-1} = dgates · W_hh}; then the weight gradients as one GEMM each over the whole
 * sequence, bias gradients as column sums in double, the input gradient as one GEMM.
 *
 * <p>The reserve has the composite's layout ({@link Layout}), so either path reads the other's.
 */
final class CpuRnn {
    /** Columns of one unit of the gate pass, and the cells per step above which it runs in parallel. */
    private static final int COLUMNS = 128, PARALLEL_CELLS = 4096;

    private final Gemm gemm;
    private final F32Kernels f32;
    private final RnnKernels kernels;

    CpuRnn(Gemm gemm, F32Kernels f32, RnnKernels kernels) {
        this.gemm = gemm;
        this.f32 = f32;
        this.kernels = kernels;
    }

    /** Rows of a matrix in a buffer: row n at element {@code off + n * stride}. */
    record Rows(MemorySegment seg, long off, long stride) {
        static Rows of(Tensor t, long offset, long stride) { return new Rows(CpuFastPaths.seg(t), CpuFastPaths.off(t) + offset, stride); }

        long at(int n) { return off + n * stride; }

        /** The block of rows that starts {@code rows} rows further on. */
        Rows skip(long rows) { return new Rows(seg, off + rows * stride, stride); }
    }

    /**
     * The reserve, as {@link RnnComposite.ReserveLayout} lays it out: step records
     * {@code [layers * directions, T, N, S]} (S = 5H for an LSTM: i, f, g, o, c_t; 4H for a GRU: r, z,
     * n, h W_hn^T + b_hn), then each layer's output {@code [layers, T, N, directions * H]}. Without
     * records (inference) only the sizes are used.
     */
    private static Rows records(RnnComposite.ReserveLayout layout, Tensor reserve, int slot) {
        return Rows.of(reserve, layout.recordsOffset(slot), layout.stepWidth());
    }

    /** Output of a layer, one row per (t, n). */
    private static Rows outputs(RnnComposite.ReserveLayout layout, Tensor reserve, int layer) {
        return Rows.of(reserve, layout.outputsOffset(layer), (long) layout.p().directions() * layout.p().hiddenSize());
    }

    // ---- forward ----

    RnnResult forward(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, boolean training) {
        Device dev = x.device();
        int steps = x.dim(0), batch = x.dim(1), dirs = p.directions(), hidden = p.hiddenSize(), layers = p.numLayers();
        boolean lstm = p.mode() == RnnParams.Mode.LSTM;
        int g = p.gates() * hidden;
        RnnComposite.ReserveLayout layout = new RnnComposite.ReserveLayout(p, steps, batch, training);
        try (Scope scope = Kiln.scope()) {
            Tensor reserve = training ? dev.empty(DType.F32, layout.dims()) : dev.empty(DType.F32, 0);
            Tensor output = dev.empty(DType.F32, steps, batch, dirs * hidden);
            Tensor hN = dev.empty(DType.F32, h0.shape().dims());
            Tensor cN = lstm ? dev.empty(DType.F32, c0.shape().dims()) : null;
            // inference keeps no records: gates in a scratch, layer outputs alternating between two buffers
            Tensor gates = training ? null : dev.empty(DType.F32, steps * batch, g);
            Tensor[] between = new Tensor[2];
            Tensor hg = lstm ? null : dev.empty(DType.F32, batch, g);
            Tensor cState = lstm && !training ? dev.empty(DType.F32, batch, hidden) : null;
            Rows input = Rows.of(x, 0, p.inputSize());
            for (int layer = 0; layer < layers; layer++) {
                Rows out;
                if (training) {
                    out = outputs(layout, reserve, layer);
                } else if (layer == layers - 1) {
                    out = Rows.of(output, 0, (long) dirs * hidden);
                } else {
                    if (between[layer % 2] == null) between[layer % 2] = dev.empty(DType.F32, steps, batch, dirs * hidden);
                    out = Rows.of(between[layer % 2], 0, (long) dirs * hidden);
                }
                for (int d = 0; d < dirs; d++) {
                    int slot = layer * dirs + d;
                    Rows gateRows = training ? records(layout, reserve, slot) : Rows.of(gates, 0, g);
                    Step step = new Step(steps, batch, hidden, d, slot);
                    List<Tensor> w = weights.subList(4 * slot, 4 * slot + 4);
                    project(input, p.layerInput(layer), w.get(0), lstm ? sum(w.get(2), w.get(3)) : floats(w.get(2)), gateRows, steps * batch, g);
                    RecurrentProduct recurrent = new RecurrentProduct(gemm, f32, seg(w.get(1)), off(w.get(1)), g, hidden, batch);
                    float[] bHh = lstm ? null : floats(w.get(3));
                    Rows hState = step.slot(h0), cPrev = lstm ? step.slot(c0) : null;
                    for (int s = 0; s < steps; s++) {
                        int t = step.time(s);
                        Rows gt = gateRows.skip((long) t * batch), ht = out.skip((long) t * batch);
                        long hOut = d * (long) hidden;
                        Rows hPrev = hState;
                        if (lstm) {
                            recurrent.run(hPrev.seg(), hPrev.off(), hPrev.stride(), gt.seg(), gt.off(), gt.stride(), 1f, null);
                            // c_t goes to the step record (after i, f, g, o) or, in inference, over the carried state
                            Rows cOut = training ? new Rows(gt.seg(), gt.off() + 4L * hidden, gt.stride()) : Rows.of(cState, 0, hidden);
                            Rows cp = cPrev;
                            columns(batch, hidden, (n, j, len) -> kernels.lstmForward(gt.seg(), gt.at(n) + j, hidden, cp.seg(), cp.at(n) + j,
                                    cOut.seg(), cOut.at(n) + j, ht.seg(), ht.at(n) + hOut + j, len));
                            cPrev = cOut;
                        } else {
                            recurrent.run(hPrev.seg(), hPrev.off(), hPrev.stride(), seg(hg), off(hg), g, 0f, bHh);
                            Rows hgRows = Rows.of(hg, 0, g);
                            columns(batch, hidden, (n, j, len) -> kernels.gruForward(gt.seg(), gt.at(n) + j, hidden, hgRows.seg(), hgRows.at(n) + j,
                                    hPrev.seg(), hPrev.at(n) + j, ht.seg(), ht.at(n) + hOut + j, training ? gt.seg() : null,
                                    gt.at(n) + 3L * hidden + j, len));
                        }
                        hState = new Rows(ht.seg(), ht.off() + hOut, ht.stride());
                    }
                    copyRows(hState, step.slot(hN), batch, hidden);
                    if (lstm) copyRows(cPrev, step.slot(cN), batch, hidden);
                }
                input = out;
            }
            if (training) MemorySegment.copy(input.seg(), input.off() * 4, seg(output), off(output) * 4, output.numel() * 4);
            for (Tensor t : new Tensor[] {reserve, output, hN, cN}) if (t != null) scope.keep(t.markWritten());
            return new RnnResult(output, hN, cN, reserve);
        }
    }

    /** Time order and state slot of one direction. */
    private record Step(int steps, int batch, int hidden, int d, int slot) {
        int time(int s) { return d == 0 ? s : steps - 1 - s; }

        int previous(int t) { return d == 0 ? t - 1 : t + 1; }

        /** This direction's [N, H] slot of a [layers * directions, N, H] state tensor. */
        Rows slot(Tensor states) { return Rows.of(states, (long) slot * batch * hidden, hidden); }
    }

    /** gates[r, :g] = input[r, :in] · W_ih^T + bias, for all T * N rows at once. */
    private void project(Rows input, int in, Tensor wIh, float[] bias, Rows gates, int rows, int g) {
        gemm.run(1, rows, g, in, StridedPanels.of(input.seg(), input.off(), 0, input.stride(), 1), StridedPanels.of(seg(wIh), off(wIh), 0, in, 1),
                new Gemm.Out(gates.seg(), gates.off(), 0, gates.stride(), 1), 1f, 0f, new Gemm.Bias(bias, 1, 0, 0, 1));
    }

    /** b_ih + b_hh in float, as one bias (the LSTM adds both to every gate). */
    private static float[] sum(Tensor a, Tensor b) {
        float[] s = floats(a), t = floats(b);
        for (int i = 0; i < s.length; i++) s[i] += t[i];
        return s;
    }

    @FunctionalInterface
    private interface ColumnBody {
        void run(int row, int column, int len);
    }

    /** Runs body over every batch row in column chunks, in parallel once a step has enough cells; chunks are independent. */
    private static void columns(int batch, int hidden, ColumnBody body) {
        int perRow = (hidden + COLUMNS - 1) / COLUMNS;
        long units = (long) batch * perRow;
        long threshold = (long) batch * hidden >= PARALLEL_CELLS ? 2 : Long.MAX_VALUE;
        Parallel.forRange(units, threshold, 1, (s, e) -> {
            for (long u = s; u < e; u++) {
                int n = (int) (u / perRow), j = (int) (u % perRow) * COLUMNS;
                body.run(n, j, Math.min(COLUMNS, hidden - j));
            }
        });
    }

    private static void copyRows(Rows src, Rows dst, int rows, int width) {
        for (int n = 0; n < rows; n++) MemorySegment.copy(src.seg(), src.at(n) * 4, dst.seg(), dst.at(n) * 4, width * 4L);
    }

    // ---- backward ----

    RnnGrads backward(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, RnnResult forward, Tensor gradOutput,
                      Tensor gradHN, Tensor gradCN) {
        Device dev = x.device();
        int steps = x.dim(0), batch = x.dim(1), dirs = p.directions(), hidden = p.hiddenSize(), layers = p.numLayers();
        boolean lstm = p.mode() == RnnParams.Mode.LSTM;
        int g = p.gates() * hidden, rows = steps * batch;
        RnnComposite.ReserveLayout layout = new RnnComposite.ReserveLayout(p, steps, batch, true);
        Tensor reserve = forward.reserve();
        if (reserve.numel() != layout.total()) {
            throw new KilnException("rnnBackward: the forward reserve holds " + reserve.numel() + " elements, expected " + layout.total()
                    + " for " + p + " and input " + x.shape() + "; run rnn with training = true on the same backend");
        }
        try (Scope scope = Kiln.scope()) {
            Tensor gradH0 = dev.empty(DType.F32, h0.shape().dims());
            Tensor gradC0 = lstm ? dev.empty(DType.F32, c0.shape().dims()) : null;
            Tensor[] gradWeights = new Tensor[weights.size()];
            Tensor dx = dev.empty(DType.F32, rows, g);
            Tensor dhg = lstm ? dx : dev.empty(DType.F32, rows, g);  // the LSTM's gates see the same gradient on both sides
            Tensor dh = dev.empty(DType.F32, batch, hidden), dc = lstm ? dev.empty(DType.F32, batch, hidden) : null;
            Tensor wHhT = dev.empty(DType.F32, hidden, g);
            Rows gradAbove = Rows.of(gradOutput, 0, (long) dirs * hidden);
            Tensor gradIn = null;
            for (int layer = layers - 1; layer >= 0; layer--) {
                int in = p.layerInput(layer);
                Rows input = layer == 0 ? Rows.of(x, 0, in) : outputs(layout, reserve, layer - 1);
                Rows out = outputs(layout, reserve, layer);
                Tensor gradLayerIn = dev.empty(DType.F32, steps, batch, in);
                for (int d = 0; d < dirs; d++) {
                    int slot = layer * dirs + d;
                    Step step = new Step(steps, batch, hidden, d, slot);
                    List<Tensor> w = weights.subList(4 * slot, 4 * slot + 4);
                    Rows rec = records(layout, reserve, slot);
                    transpose(w.get(1), g, hidden, wHhT);
                    RecurrentProduct back = new RecurrentProduct(gemm, f32, seg(wHhT), off(wHhT), hidden, g, batch);
                    initial(gradHN == null ? null : step.slot(gradHN), dh, batch, hidden);
                    if (lstm) initial(gradCN == null ? null : step.slot(gradCN), dc, batch, hidden);
                    Rows dhRows = Rows.of(dh, 0, hidden), dcRows = lstm ? Rows.of(dc, 0, hidden) : null;
                    long gCol = d * (long) hidden;
                    for (int s = steps - 1; s >= 0; s--) {
                        int t = step.time(s);
                        Rows rt = rec.skip((long) t * batch), go = gradAbove.skip((long) t * batch);
                        Rows dxt = Rows.of(dx, (long) t * batch * g, g), dhgt = Rows.of(dhg, (long) t * batch * g, g);
                        if (lstm) {
                            Rows cp = s == 0 ? step.slot(c0) : rec.skip((long) step.previous(t) * batch);
                            long cpCol = s == 0 ? 0 : 4L * hidden;
                            columns(batch, hidden, (n, j, len) -> kernels.lstmBackward(rt.seg(), rt.at(n) + j, hidden, cp.seg(), cp.at(n) + cpCol + j,
                                    dhRows.seg(), dhRows.at(n) + j, go.seg(), go.at(n) + gCol + j, dcRows.seg(), dcRows.at(n) + j,
                                    dxt.seg(), dxt.at(n) + j, len));
                            back.run(dxt.seg(), dxt.off(), g, seg(dh), off(dh), hidden, 0f, null);
                        } else {
                            Rows hp = s == 0 ? step.slot(h0) : out.skip((long) step.previous(t) * batch);
                            long hpCol = s == 0 ? 0 : gCol;
                            columns(batch, hidden, (n, j, len) -> kernels.gruBackward(rt.seg(), rt.at(n) + j, hidden, hp.seg(), hp.at(n) + hpCol + j,
                                    dhRows.seg(), dhRows.at(n) + j, go.seg(), go.at(n) + gCol + j, dxt.seg(), dxt.at(n) + j,
                                    dhgt.seg(), dhgt.at(n) + j, len));
                            back.run(dhgt.seg(), dhgt.off(), g, seg(dh), off(dh), hidden, 1f, null);
                        }
                    }
                    copyRows(dhRows, step.slot(gradH0), batch, hidden);
                    if (lstm) copyRows(dcRows, step.slot(gradC0), batch, hidden);
                    int first = 4 * slot;
                    gradWeights[first] = weightGradient(dev, Rows.of(dx, 0, g), input, g, in, rows);
                    gradWeights[first + 1] = recurrentWeightGradient(dev, dhg, h0, out, step, g);
                    gradWeights[first + 2] = columnSums(dev, dx, rows, g);
                    gradWeights[first + 3] = columnSums(dev, dhg, rows, g);
                    // the layer input's gradient, both directions summed: [T * N, g] · W_ih
                    gemm.run(1, rows, in, g, StridedPanels.of(seg(dx), off(dx), 0, g, 1), StridedPanels.of(seg(w.get(0)), off(w.get(0)), 0, 1, in),
                            new Gemm.Out(seg(gradLayerIn), off(gradLayerIn), 0, in, 1), 1f, d == 0 ? 0f : 1f, null);
                }
                if (gradIn != null) gradIn.close();
                gradIn = gradLayerIn;
                gradAbove = Rows.of(gradIn, 0, in);
            }
            for (Tensor t : gradWeights) scope.keep(t.markWritten());
            scope.keep(gradIn.markWritten());
            scope.keep(gradH0.markWritten());
            if (gradC0 != null) scope.keep(gradC0.markWritten());
            return new RnnGrads(gradIn, gradH0, gradC0, List.of(gradWeights));
        }
    }

    /** dst = W^T for W [rows, cols] (contiguous): the rows of k that {@link RecurrentProduct} reads for dh = dgates · W_hh. */
    private static void transpose(Tensor w, int rowsW, int cols, Tensor dst) {
        MemorySegment src = seg(w), out = seg(dst);
        long so = off(w), dOff = off(dst);
        for (int r = 0; r < rowsW; r++) {
            for (int c = 0; c < cols; c++) out.setAtIndex(F, dOff + (long) c * rowsW + r, src.getAtIndex(F, so + (long) r * cols + c));
        }
    }

    /** The carried state gradient starts as the final-state gradient's slot, or zeros. */
    private static void initial(Rows from, Tensor dst, int batch, int hidden) {
        if (from == null) seg(dst).asSlice(off(dst) * 4, (long) batch * hidden * 4).fill((byte) 0);
        else copyRows(from, Rows.of(dst, 0, hidden), batch, hidden);
    }

    /** dW = dgates^T · input over all T * N rows: [g, in]. */
    private Tensor weightGradient(Device dev, Rows dGates, Rows input, int g, int in, int rows) {
        Tensor gw = dev.empty(DType.F32, g, in);
        gemm.run(1, g, in, rows, StridedPanels.of(dGates.seg(), dGates.off(), 0, 1, dGates.stride()),
                StridedPanels.of(input.seg(), input.off(), 0, 1, input.stride()), new Gemm.Out(seg(gw), off(gw), 0, in, 1), 1f, 0f, null);
        return gw;
    }

    /**
     * dW_hh = dgates^T · H_prev, where step t's previous state is the layer output of the step
     * before it, or h0 for the first step processed: one GEMM over the T - 1 steps with a
     * predecessor in the output, then h0's rows added.
     */
    private Tensor recurrentWeightGradient(Device dev, Tensor dhg, Tensor h0, Rows out, Step step, int g) {
        int steps = step.steps(), batch = step.batch(), hidden = step.hidden();
        Tensor gw = dev.empty(DType.F32, g, hidden);
        Gemm.Out target = new Gemm.Out(seg(gw), off(gw), 0, hidden, 1);
        long col = step.d() * (long) hidden;
        if (steps > 1) {
            // forward: steps 1.. start from outputs 0..T-2; reverse: steps 0..T-2 from outputs 1..T-1
            long firstGate = step.d() == 0 ? batch : 0, firstOut = step.d() == 0 ? 0 : batch;
            int k = (steps - 1) * batch;
            gemm.run(1, g, hidden, k, StridedPanels.of(seg(dhg), off(dhg) + firstGate * g, 0, 1, g),
                    StridedPanels.of(out.seg(), out.at((int) firstOut) + col, 0, 1, out.stride()), target, 1f, 0f, null);
        }
        long initialGate = (long) step.time(0) * batch * g;
        Rows h = step.slot(h0);
        gemm.run(1, g, hidden, batch, StridedPanels.of(seg(dhg), off(dhg) + initialGate, 0, 1, g), StridedPanels.of(h.seg(), h.off(), 0, 1, hidden),
                target, 1f, steps > 1 ? 1f : 0f, null);
        return gw;
    }

    /** Sums over rows of a [rows, cols] matrix, in double, row by row (the same order at any thread count). */
    private static Tensor columnSums(Device dev, Tensor m, int rows, int cols) {
        Tensor out = dev.empty(DType.F32, cols);
        MemorySegment src = seg(m), dst = seg(out);
        long so = off(m), dOff = off(out);
        Parallel.forRange(cols, Math.max(2, Parallel.ELEMENT_THRESHOLD / Math.max(1, rows)), 16, (s, e) -> {
            double[] acc = new double[(int) (e - s)];
            for (int r = 0; r < rows; r++) {
                long row = so + (long) r * cols + s;
                for (int c = 0; c < acc.length; c++) acc[c] += src.getAtIndex(F, row + c);
            }
            for (int c = 0; c < acc.length; c++) dst.setAtIndex(F, dOff + s + c, (float) acc[c]);
        });
        return out;
    }
}
