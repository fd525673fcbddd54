package dev.kiln.opencl;

import dev.kiln.DType;
import dev.kiln.Device;
import dev.kiln.KilnException;
import dev.kiln.RnnGrads;
import dev.kiln.RnnParams;
import dev.kiln.RnnResult;
import dev.kiln.Tensor;
import dev.kiln.composite.RnnComposite;
import dev.kiln.composite.RnnComposite.ReserveLayout;
import dev.kiln.spi.UnaryOp;
import dev.kiln.spi.View;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * LSTM and GRU on rnn.cl and the backend's GEMM. Per layer and direction: one GEMM projects the whole
 * sequence's input; each step is one GEMM for h W_hh^T and one fused gate kernel that also writes the
 * step record and h_t straight into the layer output. Backward: per step one fused gate-gradient
 * kernel and one GEMM for the recurrent gradient; the weight gradients and the input gradient are one
 * GEMM each over the whole sequence (the two directions accumulate into one input gradient). The
 * composite's {@link ReserveLayout} is kept, so either side's backward reads the other's forward.
 * Empty sequences or batches take the composite.
 */
final class OpenClRnn {
    private final OpenClBackend backend;

    OpenClRnn(OpenClBackend backend) { this.backend = backend; }

    /** rnn.cl, with its activations in double where the device has fp64 (why: the kernel file). */
    private long program() {
        return backend.programs().get("rnn.cl", backend.device().hasExtension("cl_khr_fp64") ? "#define KILN_FP64 1\n" : "");
    }

    /** A [rows, cols] matrix at {@code offset} of a buffer with the given strides, as the GEMM's batch of one. */
    private static View mat(View base, long offset, int rows, int cols, long rowStride, long colStride) {
        return new View(base.buffer(), DType.F32, offset, new int[] {1, rows, cols}, new long[] {0, rowStride, colStride});
    }

    private void copy(View src, View dst) { backend.unary(UnaryOp.COPY, src, dst); }

    /** [N, H] rows of a state tensor [layers * directions, N, H] at {@code slot}. */
    private static View stateSlot(Tensor states, int slot, int batch, int hidden) {
        View v = states.view();
        return new View(v.buffer(), DType.F32, v.offset() + (long) slot * batch * hidden, new int[] {batch, hidden}, new long[] {hidden, 1});
    }

    private KernelCall arg(KernelCall call, View v, long offset) {
        return call.mem(Checks.buffer(backend, "rnn", v.buffer())).i64(offset);
    }

    RnnResult forward(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, boolean training) {
        int steps = x.dim(0), batch = x.dim(1), dirs = p.directions(), hidden = p.hiddenSize(), g = p.gates() * hidden;
        if (steps == 0 || batch == 0) return RnnComposite.forward(p, x, h0, c0, weights, training);
        boolean lstm = p.mode() == RnnParams.Mode.LSTM;
        Device dev = x.device();
        ReserveLayout layout = new ReserveLayout(p, steps, batch, training);
        int stepWidth = layout.stepWidth();
        Tensor reserve = dev.empty(DType.F32, layout.dims());
        Tensor hN = dev.empty(DType.F32, h0.shape().dims()), cN = lstm ? dev.empty(DType.F32, c0.shape().dims()) : null;
        View rv = reserve.view();
        int layerWidth = dirs * hidden;
        try (Tensor xg = dev.empty(DType.F32, steps * batch, g); Tensor hg = dev.empty(DType.F32, batch, g);
             Tensor cState = dev.empty(DType.F32, batch, hidden)) {
            View xgv = xg.view(), hgv = hg.view(), cv = cState.view();
            long program = program();
            for (int layer = 0; layer < p.numLayers(); layer++) {
                int in = p.layerInput(layer);
                View input = layer == 0 ? x.view() : rv;
                long inputOffset = layer == 0 ? x.view().offset() : rv.offset() + layout.outputsOffset(layer - 1);
                long outOffset = rv.offset() + layout.outputsOffset(layer);
                for (int d = 0; d < dirs; d++) {
                    int slot = layer * dirs + d;
                    View wIh = weights.get(4 * slot).view(), wHh = weights.get(4 * slot + 1).view();
                    View bIh = weights.get(4 * slot + 2).view(), bHh = weights.get(4 * slot + 3).view();
                    // every step's input projection at once: [T * N, in] @ W_ih^T
                    backend.matmul(mat(input, inputOffset, steps * batch, in, in, 1), mat(wIh, wIh.offset(), in, g, 1, in),
                            mat(xgv, xgv.offset(), steps * batch, g, g, 1), 1f, 0f);
                    View h0Slot = stateSlot(h0, slot, batch, hidden);
                    if (lstm) copy(stateSlot(c0, slot, batch, hidden), cv);
                    for (int s = 0; s < steps; s++) {
                        int t = d == 0 ? s : steps - 1 - s, prev = d == 0 ? t - 1 : t + 1;
                        long hPrevOffset = s == 0 ? h0Slot.offset() : outOffset + ((long) prev * batch) * layerWidth + d * hidden;
                        long hPrevStride = s == 0 ? hidden : layerWidth;
                        View hPrevBase = s == 0 ? h0Slot : rv;
                        backend.matmul(mat(hPrevBase, hPrevOffset, batch, hidden, hPrevStride, 1), mat(wHh, wHh.offset(), hidden, g, 1, hidden),
                                mat(hgv, hgv.offset(), batch, g, g, 1), 1f, 0f);
                        long hOffset = outOffset + ((long) t * batch) * layerWidth + d * hidden;
                        long recOffset = rv.offset() + layout.recordsOffset(slot) + (long) t * batch * stepWidth;
                        KernelCall call = backend.ctx().kernel(program, lstm ? "lstm_step_forward" : "gru_step_forward")
                                .i32(batch).i32(hidden);
                        arg(call, xgv, xgv.offset() + (long) t * batch * g);
                        arg(call, hgv, hgv.offset());
                        arg(call, bIh, bIh.offset());
                        arg(call, bHh, bHh.offset());
                        if (lstm) arg(call, cv, cv.offset());
                        else arg(call, hPrevBase, hPrevOffset).i64(hPrevStride);
                        arg(call, rv, hOffset).i64(layerWidth);
                        call.i32(training ? 1 : 0);
                        arg(call, rv, training ? recOffset : rv.offset());
                        call.launch1d((long) batch * hidden);
                    }
                    int last = d == 0 ? steps - 1 : 0;
                    copy(new View(rv.buffer(), DType.F32, outOffset + (long) last * batch * layerWidth + d * hidden,
                            new int[] {batch, hidden}, new long[] {layerWidth, 1}), stateSlot(hN, slot, batch, hidden));
                    if (lstm) copy(cv, stateSlot(cN, slot, batch, hidden));
                }
            }
        }
        reserve.markWritten();
        hN.markWritten();
        if (cN != null) cN.markWritten();
        Tensor output = dev.empty(DType.F32, steps, batch, layerWidth);
        copy(new View(rv.buffer(), DType.F32, rv.offset() + layout.outputsOffset(p.numLayers() - 1), new int[] {steps, batch, layerWidth},
                new long[] {(long) batch * layerWidth, layerWidth, 1}), output.view());
        output.markWritten();
        if (training) return new RnnResult(output, hN, cN, reserve);
        reserve.close();
        return new RnnResult(output, hN, cN, dev.empty(DType.F32, 0).markWritten());
    }

    RnnGrads backward(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, RnnResult forward,
                      Tensor gradOutput, Tensor gradHN, Tensor gradCN) {
        int steps = x.dim(0), batch = x.dim(1), dirs = p.directions(), hidden = p.hiddenSize(), g = p.gates() * hidden;
        if (steps == 0 || batch == 0) return RnnComposite.backward(p, x, h0, c0, weights, forward, gradOutput, gradHN, gradCN);
        boolean lstm = p.mode() == RnnParams.Mode.LSTM;
        Device dev = x.device();
        ReserveLayout layout = new ReserveLayout(p, steps, batch, true);
        Tensor reserve = forward.reserve();
        if (reserve.numel() != layout.total()) {
            throw new KilnException("rnnBackward: the forward reserve holds " + reserve.numel() + " elements, expected " + layout.total()
                    + " for " + p + " and input " + x.shape() + "; run rnn with training = true on the same backend");
        }
        View rv = reserve.view();
        int stepWidth = layout.stepWidth(), layerWidth = dirs * hidden, rows = steps * batch;
        Tensor gradH0 = dev.empty(DType.F32, h0.shape().dims()), gradC0 = lstm ? dev.empty(DType.F32, c0.shape().dims()) : null;
        Tensor[] gradWeights = new Tensor[weights.size()];
        Tensor gradLayerOut = gradOutput;
        long program = program();
        List<Tensor> temporaries = new ArrayList<>();
        try (Tensor gx = dev.empty(DType.F32, rows, g); Tensor ghOwn = lstm ? null : dev.empty(DType.F32, rows, g);
             Tensor dh = dev.empty(DType.F32, batch, hidden); Tensor dc = dev.empty(DType.F32, batch, hidden)) {
            Tensor gh = lstm ? gx : ghOwn;
            View gxv = gx.view(), ghv = gh.view(), dhv = dh.view(), dcv = dc.view();
            for (int layer = p.numLayers() - 1; layer >= 0; layer--) {
                int in = p.layerInput(layer);
                View input = layer == 0 ? x.view() : rv;
                long inputOffset = layer == 0 ? x.view().offset() : rv.offset() + layout.outputsOffset(layer - 1);
                long outOffset = rv.offset() + layout.outputsOffset(layer);
                Tensor gradInput = dev.empty(DType.F32, steps, batch, in);
                temporaries.add(gradInput);
                View gov = gradLayerOut.view(), giv = gradInput.view();
                for (int d = 0; d < dirs; d++) {
                    int slot = layer * dirs + d;
                    Tensor wIhT = weights.get(4 * slot), wHhT = weights.get(4 * slot + 1);
                    View wIh = wIhT.view(), wHh = wHhT.view();
                    View h0Slot = stateSlot(h0, slot, batch, hidden);
                    if (gradHN == null) dh.fill(0);
                    else copy(stateSlot(gradHN, slot, batch, hidden), dhv);
                    if (lstm) {
                        if (gradCN == null) dc.fill(0);
                        else copy(stateSlot(gradCN, slot, batch, hidden), dcv);
                    }
                    for (int s = steps - 1; s >= 0; s--) {
                        int t = d == 0 ? s : steps - 1 - s, prev = d == 0 ? t - 1 : t + 1;
                        long recOffset = rv.offset() + layout.recordsOffset(slot) + (long) t * batch * stepWidth;
                        long goutOffset = gov.offset() + (long) t * batch * layerWidth + d * hidden;
                        long gxOffset = gxv.offset() + (long) t * batch * g, ghOffset = ghv.offset() + (long) t * batch * g;
                        KernelCall call = backend.ctx().kernel(program, lstm ? "lstm_step_backward" : "gru_step_backward")
                                .i32(batch).i32(hidden);
                        arg(call, dhv, dhv.offset());
                        arg(call, gov, goutOffset).i64(layerWidth);
                        arg(call, rv, recOffset);
                        if (lstm) {
                            // the cell state this step started from: c0's slot, or the previous step's record
                            View c0Slot = stateSlot(c0, slot, batch, hidden);
                            if (s == 0) arg(call, c0Slot, c0Slot.offset()).i64(hidden);
                            else arg(call, rv, rv.offset() + layout.recordsOffset(slot) + (long) prev * batch * stepWidth + 4L * hidden)
                                    .i64(stepWidth);
                            arg(call, dcv, dcv.offset());
                            arg(call, gxv, gxOffset);
                        } else {
                            if (s == 0) arg(call, h0Slot, h0Slot.offset()).i64(hidden);
                            else arg(call, rv, outOffset + (long) prev * batch * layerWidth + d * hidden).i64(layerWidth);
                            arg(call, gxv, gxOffset);
                            arg(call, ghv, ghOffset);
                        }
                        call.launch1d((long) batch * hidden);
                        // dh_{t-1} = gates_t W_hh (+ dhT z for the GRU, which the kernel left in dh)
                        backend.matmul(mat(ghv, ghOffset, batch, g, g, 1), mat(wHh, wHh.offset(), g, hidden, hidden, 1),
                                mat(dhv, dhv.offset(), batch, hidden, hidden, 1), 1f, lstm ? 0f : 1f);
                    }
                    copy(dhv, stateSlot(gradH0, slot, batch, hidden));
                    if (lstm) copy(dcv, stateSlot(gradC0, slot, batch, hidden));

                    Tensor dWih = dev.empty(DType.F32, g, in), dWhh = dev.empty(DType.F32, g, hidden);
                    View dWihV = dWih.view(), dWhhV = dWhh.view();
                    backend.matmul(mat(gxv, gxv.offset(), g, rows, 1, g), mat(input, inputOffset, rows, in, in, 1),
                            mat(dWihV, dWihV.offset(), g, in, in, 1), 1f, 0f);
                    // W_hh's gradient pairs each step's gates with the state it started from: the layer output
                    // one step earlier in processing order, and h0 for the first step processed
                    int first = d == 0 ? 0 : steps - 1;
                    if (steps > 1) {
                        int gateFrom = d == 0 ? 1 : 0, stateFrom = d == 0 ? 0 : 1;
                        backend.matmul(mat(ghv, ghv.offset() + (long) gateFrom * batch * g, g, (steps - 1) * batch, 1, g),
                                mat(rv, outOffset + (long) stateFrom * batch * layerWidth + d * hidden, (steps - 1) * batch, hidden, layerWidth, 1),
                                mat(dWhhV, dWhhV.offset(), g, hidden, hidden, 1), 1f, 0f);
                    }
                    backend.matmul(mat(ghv, ghv.offset() + (long) first * batch * g, g, batch, 1, g),
                            mat(h0Slot, h0Slot.offset(), batch, hidden, hidden, 1), mat(dWhhV, dWhhV.offset(), g, hidden, hidden, 1),
                            1f, steps > 1 ? 1f : 0f);
                    gradWeights[4 * slot] = dWih.markWritten();
                    gradWeights[4 * slot + 1] = dWhh.markWritten();
                    gx.markWritten();
                    gh.markWritten();
                    gradWeights[4 * slot + 2] = gx.sum(0);
                    gradWeights[4 * slot + 3] = gh.sum(0);
                    // the two directions add into one input gradient
                    backend.matmul(mat(gxv, gxv.offset(), rows, g, g, 1), mat(wIh, wIh.offset(), g, in, in, 1),
                            mat(giv, giv.offset(), rows, in, in, 1), 1f, d == 0 ? 0f : 1f);
                }
                gradLayerOut = gradInput.markWritten();
            }
            temporaries.remove(gradLayerOut);
        } finally {
            for (Tensor t : temporaries) t.close();
        }
        gradH0.markWritten();
        if (gradC0 != null) gradC0.markWritten();
        return new RnnGrads(gradLayerOut, gradH0, gradC0, Arrays.asList(gradWeights));
    }
}
