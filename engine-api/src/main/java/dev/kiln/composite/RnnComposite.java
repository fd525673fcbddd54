package dev.kiln.composite;

import dev.kiln.DType;
import dev.kiln.Device;
import dev.kiln.Kiln;
import dev.kiln.KilnException;
import dev.kiln.RnnGrads;
import dev.kiln.RnnParams;
import dev.kiln.RnnResult;
import dev.kiln.Scope;
import dev.kiln.Tensor;
import dev.kiln.spi.UnaryOp;
import dev.kiln.spi.View;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Stacked, optionally bidirectional LSTM and GRU over a whole sequence, composed from primitives,
 * with the math of {@code torch.nn.LSTM} and {@code torch.nn.GRU}:
 * <pre>
 * LSTM: i, f, g, o = sigma, sigma, tanh, sigma (x W_ih^T + b_ih + h W_hh^T + b_hh);  c' = f c + i g;  h' = o tanh(c')
 * GRU:  r, z = sigma(x W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z});  n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn))
 *       h' = (1 - z) n + z h
 * </pre>
 * Per layer and direction, one matrix product projects the whole sequence's input; each step then
 * multiplies the state by W_hh and applies the gate math.
 *
 * <p><b>Reserve layout</b> (F32, one tensor of {@code layers * directions} rows, read as one flat
 * array; {@link ReserveLayout}): first the step records
 * {@code [layers * directions, T, N, S]}, indexed by state slot and time (not processing order),
 * with S = 5H for an LSTM (i, f, g, o activations, then the cell state c_t) and S = 4H for a GRU
 * (r, z, n activations, then {@code h W_hn^T + b_hn}); then every layer's output
 * {@code [layers, T, N, directions * H]} (the last one equals {@code output}). With
 * {@code training = false} the reserve is an empty tensor and {@link #backward} refuses it.
 */
public final class RnnComposite {
    private RnnComposite() {}

    public static RnnResult forward(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, boolean training) {
        Device dev = x.device();
        int steps = x.dim(0), batch = x.dim(1), dirs = p.directions();
        // inference keeps no step records: only the layer outputs, which the next layer reads
        ReserveLayout layout = new ReserveLayout(p, steps, batch, training);
        try (Scope scope = Kiln.scope()) {
            Tensor reserve = dev.empty(DType.F32, layout.dims()).markWritten();
            Tensor hN = dev.empty(DType.F32, h0.shape().dims()).markWritten();
            Tensor cN = c0 == null ? null : dev.empty(DType.F32, c0.shape().dims()).markWritten();
            Tensor input = x;
            for (int layer = 0; layer < p.numLayers(); layer++) {
                for (int d = 0; d < dirs; d++) {
                    int slot = layer * dirs + d;
                    List<Tensor> w = weights.subList(4 * slot, 4 * slot + 4);
                    Direction run = new Direction(p, layout, reserve, layer, d);
                    run.forward(input, h0, c0, w, hN, cN);
                }
                input = read(dev, layout.outputs(reserve, layer));
            }
            if (steps == 0 || batch == 0) {  // no step ran: the final states are the initial ones
                hN.assign(h0);
                if (cN != null) cN.assign(c0);
            }
            scope.keep(input);
            scope.keep(hN);
            if (cN != null) scope.keep(cN);
            if (training) return new RnnResult(input, hN, cN, scope.keep(reserve));
            return new RnnResult(input, hN, cN, scope.keep(dev.empty(DType.F32, 0).markWritten()));
        }
    }

    public static RnnGrads backward(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, RnnResult forward,
                                    Tensor gradOutput, Tensor gradHN, Tensor gradCN) {
        Device dev = x.device();
        int steps = x.dim(0), batch = x.dim(1), dirs = p.directions();
        ReserveLayout layout = new ReserveLayout(p, steps, batch, true);
        Tensor reserve = forward.reserve();
        if (reserve.numel() != layout.total()) {
            throw new KilnException("rnnBackward: the forward reserve holds " + reserve.numel() + " elements, expected " + layout.total()
                    + " for " + p + " and input " + x.shape() + "; run rnn with training = true on the same backend");
        }
        try (Scope scope = Kiln.scope()) {
            Tensor gradH0 = dev.empty(DType.F32, h0.shape().dims()).markWritten();
            Tensor gradC0 = c0 == null ? null : dev.empty(DType.F32, c0.shape().dims()).markWritten();
            Tensor[] gradWeights = new Tensor[weights.size()];
            Tensor gradLayerOut = gradOutput;
            for (int layer = p.numLayers() - 1; layer >= 0; layer--) {
                Tensor input = layer == 0 ? x : read(dev, layout.outputs(reserve, layer - 1));
                Tensor gradInput = null;
                for (int d = 0; d < dirs; d++) {
                    int slot = layer * dirs + d;
                    List<Tensor> w = weights.subList(4 * slot, 4 * slot + 4);
                    Direction run = new Direction(p, layout, reserve, layer, d);
                    Tensor part = run.backward(input, h0, c0, w, gradLayerOut, gradHN, gradCN, gradH0, gradC0, gradWeights, 4 * slot);
                    gradInput = gradInput == null ? part : gradInput.add(part);
                }
                gradLayerOut = gradInput;
            }
            for (Tensor g : gradWeights) scope.keep(g);
            scope.keep(gradLayerOut);
            scope.keep(gradH0);
            if (gradC0 != null) scope.keep(gradC0);
            return new RnnGrads(gradLayerOut, gradH0, gradC0, List.of(gradWeights));
        }
    }

    /**
     * Offsets of the reserve's two blocks (see the class comment), shared with backends that keep this layout so that either side's
     * backward reads the other's forward (the CPU backend does).
     */
    public record ReserveLayout(RnnParams p, int steps, int batch, boolean withRecords) {
        /** S, the width of one step record; 0 when records are not kept. */
        public int stepWidth() { return withRecords ? (p.mode() == RnnParams.Mode.LSTM ? 5 : 4) * p.hiddenSize() : 0; }

        public long recordsSize() { return (long) p.numLayers() * p.directions() * steps * batch * stepWidth(); }

        public long outputSize() { return (long) steps * batch * p.directions() * p.hiddenSize(); }

        public long total() { return recordsSize() + p.numLayers() * outputSize(); }

        /**
         * The reserve's shape, [layers * directions, T * N * (S + H)]: the same total as the two
         * blocks, in two axes so that no axis outgrows an int; the blocks are read flat.
         */
        public int[] dims() {
            return new int[] {p.numLayers() * p.directions(), Math.toIntExact((long) steps * batch * (stepWidth() + p.hiddenSize()))};
        }

        /** Element offset of a state slot's step records, [T, N, S]. */
        public long recordsOffset(int slot) { return slot * (long) steps * batch * stepWidth(); }

        /** Element offset of a layer's output, [T, N, directions * H]. */
        public long outputsOffset(int layer) { return recordsSize() + layer * outputSize(); }

        /** Step records of one state slot, [T, N, S]. */
        View records(Tensor reserve, int slot) {
            View r = reserve.view();
            return View.contiguous(r.buffer(), DType.F32, r.offset() + recordsOffset(slot), steps, batch, stepWidth());
        }

        /** Output of one layer, [T, N, directions * H]. */
        View outputs(Tensor reserve, int layer) {
            View r = reserve.view();
            return View.contiguous(r.buffer(), DType.F32, r.offset() + outputsOffset(layer), steps, batch, p.directions() * p.hiddenSize());
        }
    }

    /** One layer and direction: its slice of the reserve, its time order, its step math. */
    private static final class Direction {
        private final RnnParams p;
        private final Device dev;
        private final View records, outputs;
        private final int d, slot, steps, batch, hidden;
        private final boolean lstm, keepRecords;

        Direction(RnnParams p, ReserveLayout layout, Tensor reserve, int layer, int d) {
            this.p = p;
            this.dev = reserve.device();
            this.d = d;
            this.slot = layer * p.directions() + d;
            this.steps = layout.steps();
            this.batch = layout.batch();
            this.hidden = p.hiddenSize();
            this.lstm = p.mode() == RnnParams.Mode.LSTM;
            this.records = layout.records(reserve, slot);
            this.keepRecords = layout.withRecords();
            this.outputs = layout.outputs(reserve, layer);
        }

        /** The time index of the s-th step processed. */
        int time(int s) { return d == 0 ? s : steps - 1 - s; }

        /** The time index of the step processed before time t (its state is h_{t-1} going forward). */
        int previous(int t) { return d == 0 ? t - 1 : t + 1; }

        /** Block k (of width H) of the step record at time t: [N, H]. */
        View record(int t, int k) { return window(records, new int[] {batch, hidden}, t, 0, k * hidden); }

        View hiddenAt(int t) { return window(outputs, new int[] {batch, hidden}, t, 0, d * hidden); }

        View stateSlot(Tensor states) { return window(states.view(), new int[] {batch, hidden}, slot, 0, 0); }

        void forward(Tensor input, Tensor h0, Tensor c0, List<Tensor> w, Tensor hN, Tensor cN) {
            if (steps == 0 || batch == 0) return;
            Tensor wIh = w.get(0), wHh = w.get(1), bIh = w.get(2), bHh = w.get(3);
            int g = p.gates() * hidden;
            try (Scope scope = Kiln.scope()) {
                // the input projection of every step at once: [T * N, in] @ W_ih^T
                Tensor proj = matmul(input.reshape(steps * batch, input.dim(2)), false, wIh, true);
                Tensor bias = lstm ? bIh.add(bHh) : bIh;
                Tensor inputGates = proj.add(bias).reshape(steps, batch, g);
                Tensor h = read(dev, stateSlot(h0));
                Tensor c = lstm ? read(dev, stateSlot(c0)) : null;
                for (int s = 0; s < steps; s++) {
                    int t = time(s);
                    Tensor hNext, cNext = null;
                    try (Scope step = Kiln.scope()) {
                        Tensor xg = read(dev, window(inputGates.view(), new int[] {batch, g}, t, 0, 0));
                        Tensor hg = matmul(h, false, wHh, true);
                        if (lstm) {
                            Tensor pre = xg.add(hg);
                            Tensor sig = pre.sigmoid();
                            Tensor gCell = pre.narrow(1, 2 * hidden, hidden).tanh();
                            Tensor i = sig.narrow(1, 0, hidden), f = sig.narrow(1, hidden, hidden), o = sig.narrow(1, 3 * hidden, hidden);
                            cNext = step.keep(f.mul(c).add(i.mul(gCell)));
                            hNext = o.mul(cNext.tanh());
                            if (keepRecords) {
                                write(sig, window(records, new int[] {batch, 4 * hidden}, t, 0, 0));
                                write(gCell, record(t, 2));
                                write(cNext, record(t, 4));
                            }
                        } else {
                            Tensor hgb = hg.add(bHh);
                            Tensor rz = xg.narrow(1, 0, 2 * hidden).add(hgb.narrow(1, 0, 2 * hidden)).sigmoid();
                            Tensor r = rz.narrow(1, 0, hidden), z = rz.narrow(1, hidden, hidden);
                            Tensor hn = hgb.narrow(1, 2 * hidden, hidden);
                            Tensor n = xg.narrow(1, 2 * hidden, hidden).add(r.mul(hn)).tanh();
                            hNext = n.add(z.mul(h.sub(n)));
                            if (keepRecords) {
                                write(rz, window(records, new int[] {batch, 2 * hidden}, t, 0, 0));
                                write(n, record(t, 2));
                                write(hn, record(t, 3));
                            }
                        }
                        write(hNext, hiddenAt(t));
                        step.keep(hNext);
                    }
                    // the carried state replaces the previous one now, so memory stays flat in T
                    h.close();
                    h = hNext;
                    if (lstm) {
                        c.close();
                        c = cNext;
                    }
                }
                write(h, stateSlot(hN));
                if (lstm) write(c, stateSlot(cN));
            }
        }

        private void write(Tensor src, View dst) { RnnComposite.write(dev, src.view(), dst); }

        private void write(View src, View dst) { RnnComposite.write(dev, src, dst); }

        /**
         * Backpropagation through time for this direction. Writes the slot's initial-state gradients
         * and the four weight gradients; returns the gradient of the layer input [T, N, in].
         */
        Tensor backward(Tensor input, Tensor h0, Tensor c0, List<Tensor> w, Tensor gradLayerOut, Tensor gradHN, Tensor gradCN,
                        Tensor gradH0, Tensor gradC0, Tensor[] gradWeights, int firstWeight) {
            Tensor wIh = w.get(0), wHh = w.get(1);
            int g = p.gates() * hidden, in = input.dim(2);
            // gradients of the gate pre-activations, per time step: through the input projection
            // (and b_ih), and through h W_hh^T + b_hh; they differ only for the GRU's n gate
            Tensor gradXGates = dev.empty(DType.F32, steps, batch, g).markWritten();
            Tensor gradHGates = lstm ? gradXGates : dev.empty(DType.F32, steps, batch, g).markWritten();
            try (Scope scope = Kiln.scope()) {
                Tensor dh = gradHN == null ? dev.zeros(batch, hidden) : read(dev, stateSlot(gradHN));
                Tensor dc = !lstm ? null : gradCN == null ? dev.zeros(batch, hidden) : read(dev, stateSlot(gradCN));
                Tensor one = dev.scalar(1);
                for (int s = steps - 1; s >= 0; s--) {
                    int t = time(s);
                    boolean first = s == 0;
                    Tensor dhPrev, dcPrev = null;
                    try (Scope step = Kiln.scope()) {
                        Tensor dhT = dh.add(read(dev, window(gradLayerOut.view(), new int[] {batch, hidden}, t, 0, d * hidden)));
                        if (lstm) {
                            Tensor i = read(dev, record(t, 0)), f = read(dev, record(t, 1)), gc = read(dev, record(t, 2));
                            Tensor o = read(dev, record(t, 3)), c = read(dev, record(t, 4));
                            Tensor cPrev = read(dev, first ? stateSlot(c0) : record(previous(t), 4));
                            Tensor tc = c.tanh();
                            Tensor dcT = dc.add(dhT.mul(o).mul(one.sub(tc.square())));
                            write(dcT.mul(gc).mul(sigmoidSlope(i)), gateWindow(gradXGates, t, 0));
                            write(dcT.mul(cPrev).mul(sigmoidSlope(f)), gateWindow(gradXGates, t, 1));
                            write(dcT.mul(i).mul(one.sub(gc.square())), gateWindow(gradXGates, t, 2));
                            write(dhT.mul(tc).mul(sigmoidSlope(o)), gateWindow(gradXGates, t, 3));
                            dcPrev = step.keep(dcT.mul(f));
                            dhPrev = matmul(read(dev, window(gradXGates.view(), new int[] {batch, g}, t, 0, 0)), false, wHh, false);
                        } else {
                            Tensor r = read(dev, record(t, 0)), z = read(dev, record(t, 1)), n = read(dev, record(t, 2));
                            Tensor hn = read(dev, record(t, 3));
                            Tensor hPrev = read(dev, first ? stateSlot(h0) : hiddenAt(previous(t)));
                            Tensor dz = dhT.mul(hPrev.sub(n)).mul(sigmoidSlope(z));
                            Tensor dn = dhT.mul(one.sub(z)).mul(one.sub(n.square()));
                            Tensor dr = dn.mul(hn).mul(sigmoidSlope(r));
                            for (Tensor gates : new Tensor[] {gradXGates, gradHGates}) {
                                write(dr, gateWindow(gates, t, 0));
                                write(dz, gateWindow(gates, t, 1));
                            }
                            write(dn, gateWindow(gradXGates, t, 2));
                            write(dn.mul(r), gateWindow(gradHGates, t, 2));
                            Tensor viaGates = matmul(read(dev, window(gradHGates.view(), new int[] {batch, g}, t, 0, 0)), false, wHh, false);
                            dhPrev = viaGates.add(dhT.mul(z));
                        }
                        step.keep(dhPrev);
                    }
                    dh.close();
                    dh = dhPrev;
                    if (lstm) {
                        dc.close();
                        dc = dcPrev;
                    }
                }
                write(dh, stateSlot(gradH0));
                if (lstm) write(dc, stateSlot(gradC0));

                Tensor gx = gradXGates.reshape(steps * batch, g), gh = gradHGates.reshape(steps * batch, g);
                Tensor hPrevAll = previousStates(h0);
                gradWeights[firstWeight] = scope.keep(matmul(gx, true, input.reshape(steps * batch, in), false));
                gradWeights[firstWeight + 1] = scope.keep(matmul(gh, true, hPrevAll.reshape(steps * batch, hidden), false));
                gradWeights[firstWeight + 2] = scope.keep(gx.sum(0));
                gradWeights[firstWeight + 3] = scope.keep(gh.sum(0));
                Tensor gradInput = matmul(gx, false, wIh, false).reshape(steps, batch, in);
                gradXGates.close();
                gradHGates.close();
                return scope.keep(gradInput);
            }
        }

        /** The state each step started from, in time order: [T, N, H]. */
        private Tensor previousStates(Tensor h0) {
            Tensor all = dev.empty(DType.F32, steps, batch, hidden);
            if (steps == 0 || batch == 0) return all.markWritten();
            int initialAt = d == 0 ? 0 : steps - 1;
            write(stateSlot(h0), window(all.view(), new int[] {batch, hidden}, initialAt, 0, 0));
            if (steps > 1) {
                // forward: rows 1.. take h_0..h_{T-2}; reverse: rows 0..T-2 take h_1..h_{T-1}
                int from = d == 0 ? 0 : 1, to = d == 0 ? 1 : 0;
                write(window(outputs, new int[] {steps - 1, batch, hidden}, from, 0, d * hidden),
                        window(all.view(), new int[] {steps - 1, batch, hidden}, to, 0, 0));
            }
            return all.markWritten();
        }

        /** Gate k's columns of time t in a [T, N, gates * H] gradient buffer. */
        private View gateWindow(Tensor gates, int t, int k) {
            return window(gates.view(), new int[] {batch, hidden}, t, 0, k * hidden);
        }
    }

    /** s (1 - s): the sigmoid's derivative from its output. */
    private static Tensor sigmoidSlope(Tensor s) { return s.sub(s.square()); }

    // ---- strided helpers over the primitives ----

    /**
     * The window of {@code v} that starts at index {@code start} (one per axis of v) and spans
     * {@code dims} on v's last {@code dims.length} axes; the leading axes stay fixed at their start.
     */
    static View window(View v, int[] dims, int... start) {
        long offset = v.offset();
        for (int i = 0; i < start.length; i++) offset += start[i] * v.strides()[i];
        long[] strides = Arrays.copyOfRange(v.strides(), v.rank() - dims.length, v.rank());
        return new View(v.buffer(), v.dtype(), offset, dims.clone(), strides);
    }

    /** A new tensor holding the elements of {@code src}. */
    static Tensor read(Device dev, View src) {
        Tensor t = dev.empty(src.dtype(), src.shape());
        if (t.numel() > 0) dev.backend().unary(UnaryOp.COPY, src, t.view());
        return t.markWritten();
    }

    /** Copies {@code src} into the window {@code dst} of another tensor (same extents). */
    static void write(Device dev, View src, View dst) {
        if (!Arrays.equals(src.shape(), dst.shape())) {
            throw new KilnException("rnn: internal copy of " + Arrays.toString(src.shape()) + " into " + Arrays.toString(dst.shape()));
        }
        if (src.numel() > 0) dev.backend().unary(UnaryOp.COPY, src, dst);
    }

    /** {@code op(a) @ op(b)} for 2-D tensors, op transposing where asked (as strides, no copy). */
    static Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        int m = transA ? a.dim(1) : a.dim(0), k = transA ? a.dim(0) : a.dim(1);
        int n = transB ? b.dim(0) : b.dim(1);
        Tensor c = a.device().empty(DType.F32, m, n);
        if (c.numel() > 0) {
            if (k == 0) {
                c.fill(0);
            } else {
                View av = a.view(), bv = b.view();
                View a3 = new View(av.buffer(), DType.F32, av.offset(), new int[] {1, m, k},
                        transA ? new long[] {0, 1, a.dim(1)} : new long[] {0, a.dim(1), 1});
                View b3 = new View(bv.buffer(), DType.F32, bv.offset(), new int[] {1, k, n},
                        transB ? new long[] {0, 1, b.dim(1)} : new long[] {0, b.dim(1), 1});
                a.device().backend().matmul(a3, b3, View.contiguous(c.view().buffer(), DType.F32, c.view().offset(), 1, m, n), 1f, 0f);
            }
        }
        return c.markWritten();
    }
}
