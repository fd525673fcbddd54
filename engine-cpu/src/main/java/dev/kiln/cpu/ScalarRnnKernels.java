package dev.kiln.cpu;

import static dev.kiln.cpu.Elem.F;

import java.lang.foreign.MemorySegment;

/** {@link RnnKernels} one element at a time; also the Vector API kernels' tails and their activation passes. */
final class ScalarRnnKernels implements RnnKernels {
    static final ScalarRnnKernels INSTANCE = new ScalarRnnKernels();

    private ScalarRnnKernels() {}

    static float sigmoid(float v) { return (float) MathFns.sigmoid(v); }

    static float tanh(float v) { return (float) Math.tanh(v); }

    /** In place: sigma over n elements. */
    static void sigmoidInPlace(MemorySegment s, long at, int n) {
        for (int j = 0; j < n; j++) s.setAtIndex(F, at + j, sigmoid(s.getAtIndex(F, at + j)));
    }

    /** In place: tanh over n elements. */
    static void tanhInPlace(MemorySegment s, long at, int n) {
        for (int j = 0; j < n; j++) s.setAtIndex(F, at + j, tanh(s.getAtIndex(F, at + j)));
    }

    /** dst[j] = tanh(src[j]) over n elements. */
    static void tanhInto(MemorySegment src, long from, MemorySegment dst, long to, int n) {
        for (int j = 0; j < n; j++) dst.setAtIndex(F, to + j, tanh(src.getAtIndex(F, from + j)));
    }

    /** The LSTM's activations: sigma on i, f, o and tanh on g, in place. */
    static void lstmActivations(MemorySegment gs, long gates, int hidden, int len) {
        sigmoidInPlace(gs, gates, len);
        sigmoidInPlace(gs, gates + hidden, len);
        tanhInPlace(gs, gates + 2L * hidden, len);
        sigmoidInPlace(gs, gates + 3L * hidden, len);
    }

    @Override
    public void lstmForward(MemorySegment gs, long gates, int hidden, MemorySegment cps, long cPrev, MemorySegment cs, long c,
                            MemorySegment hs, long h, int len) {
        lstmActivations(gs, gates, hidden, len);
        lstmCell(gs, gates, hidden, cps, cPrev, cs, c, hs, h, 0, len);
    }

    /** c and h of columns [from, len), after the activations. */
    static void lstmCell(MemorySegment gs, long gates, int hidden, MemorySegment cps, long cPrev, MemorySegment cs, long c,
                         MemorySegment hs, long h, int from, int len) {
        for (int j = from; j < len; j++) {
            float i = gs.getAtIndex(F, gates + j), f = gs.getAtIndex(F, gates + hidden + j);
            float g = gs.getAtIndex(F, gates + 2L * hidden + j), o = gs.getAtIndex(F, gates + 3L * hidden + j);
            float cNew = f * cps.getAtIndex(F, cPrev + j) + i * g;
            cs.setAtIndex(F, c + j, cNew);
            hs.setAtIndex(F, h + j, o * tanh(cNew));
        }
    }

    @Override
    public void gruForward(MemorySegment gs, long gates, int hidden, MemorySegment hgs, long hg, MemorySegment hps, long hPrev,
                           MemorySegment hs, long h, MemorySegment hns, long hn, int len) {
        for (int j = 0; j < len; j++) {
            float r = sigmoid(gs.getAtIndex(F, gates + j) + hgs.getAtIndex(F, hg + j));
            float z = sigmoid(gs.getAtIndex(F, gates + hidden + j) + hgs.getAtIndex(F, hg + hidden + j));
            float hgN = hgs.getAtIndex(F, hg + 2L * hidden + j);
            float n = tanh(gs.getAtIndex(F, gates + 2L * hidden + j) + r * hgN);
            float hp = hps.getAtIndex(F, hPrev + j);
            gs.setAtIndex(F, gates + j, r);
            gs.setAtIndex(F, gates + hidden + j, z);
            gs.setAtIndex(F, gates + 2L * hidden + j, n);
            if (hns != null) hns.setAtIndex(F, hn + j, hgN);
            hs.setAtIndex(F, h + j, n + z * (hp - n));
        }
    }

    @Override
    public void lstmBackward(MemorySegment rs, long rec, int hidden, MemorySegment cps, long cPrev, MemorySegment dhs, long dh,
                             MemorySegment gos, long gradOut, MemorySegment dcs, long dc, MemorySegment dgs, long dGates, int len) {
        tanhInto(rs, rec + 4L * hidden, dgs, dGates + 3L * hidden, len);  // tanh(c), parked where do goes
        lstmGradients(rs, rec, hidden, cps, cPrev, dhs, dh, gos, gradOut, dcs, dc, dgs, dGates, 0, len);
    }

    /** The gate gradients of columns [from, len), with tanh(c) parked at the do slot. */
    static void lstmGradients(MemorySegment rs, long rec, int hidden, MemorySegment cps, long cPrev, MemorySegment dhs, long dh,
                              MemorySegment gos, long gradOut, MemorySegment dcs, long dc, MemorySegment dgs, long dGates, int from, int len) {
        for (int j = from; j < len; j++) {
            float i = rs.getAtIndex(F, rec + j), f = rs.getAtIndex(F, rec + hidden + j);
            float g = rs.getAtIndex(F, rec + 2L * hidden + j), o = rs.getAtIndex(F, rec + 3L * hidden + j);
            float tc = dgs.getAtIndex(F, dGates + 3L * hidden + j);
            float dhT = dhs.getAtIndex(F, dh + j) + gos.getAtIndex(F, gradOut + j);
            float dcT = dcs.getAtIndex(F, dc + j) + dhT * o * (1f - tc * tc);
            dgs.setAtIndex(F, dGates + j, dcT * g * (i - i * i));
            dgs.setAtIndex(F, dGates + hidden + j, dcT * cps.getAtIndex(F, cPrev + j) * (f - f * f));
            dgs.setAtIndex(F, dGates + 2L * hidden + j, dcT * i * (1f - g * g));
            dgs.setAtIndex(F, dGates + 3L * hidden + j, dhT * tc * (o - o * o));
            dcs.setAtIndex(F, dc + j, dcT * f);
        }
    }

    @Override
    public void gruBackward(MemorySegment rs, long rec, int hidden, MemorySegment hps, long hPrev, MemorySegment dhs, long dh,
                            MemorySegment gos, long gradOut, MemorySegment dxs, long dx, MemorySegment dhgs, long dhg, int len) {
        gruGradients(rs, rec, hidden, hps, hPrev, dhs, dh, gos, gradOut, dxs, dx, dhgs, dhg, 0, len);
    }

    static void gruGradients(MemorySegment rs, long rec, int hidden, MemorySegment hps, long hPrev, MemorySegment dhs, long dh,
                             MemorySegment gos, long gradOut, MemorySegment dxs, long dx, MemorySegment dhgs, long dhg, int from, int len) {
        for (int j = from; j < len; j++) {
            float r = rs.getAtIndex(F, rec + j), z = rs.getAtIndex(F, rec + hidden + j);
            float n = rs.getAtIndex(F, rec + 2L * hidden + j), hn = rs.getAtIndex(F, rec + 3L * hidden + j);
            float dhT = dhs.getAtIndex(F, dh + j) + gos.getAtIndex(F, gradOut + j);
            float dz = dhT * (hps.getAtIndex(F, hPrev + j) - n) * (z - z * z);
            float dn = dhT * (1f - z) * (1f - n * n);
            float dr = dn * hn * (r - r * r);
            dxs.setAtIndex(F, dx + j, dr);
            dxs.setAtIndex(F, dx + hidden + j, dz);
            dxs.setAtIndex(F, dx + 2L * hidden + j, dn);
            dhgs.setAtIndex(F, dhg + j, dr);
            dhgs.setAtIndex(F, dhg + hidden + j, dz);
            dhgs.setAtIndex(F, dhg + 2L * hidden + j, dn * r);
            dhs.setAtIndex(F, dh + j, dhT * z);
        }
    }
}
