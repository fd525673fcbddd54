package dev.kiln.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RnnKernels} on the Vector API: the multiplies and adds of the cell update and of the
 * gradients run in vector lanes, the sigmoid and tanh in scalar passes over the same columns, and the
 * columns past the last full vector in {@link ScalarRnnKernels}' loops (same operations, same bits).
 * Loaded by name only when the {@code jdk.incubator.vector} module is present.
 */
final class VectorRnnKernels implements RnnKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder O = ByteOrder.nativeOrder();

    private static FloatVector ld(MemorySegment s, long elem) { return FloatVector.fromMemorySegment(S, s, elem * 4, O); }

    private static void st(FloatVector v, MemorySegment s, long elem) { v.intoMemorySegment(s, elem * 4, O); }

    @Override
    public void lstmForward(MemorySegment gs, long gates, int hidden, MemorySegment cps, long cPrev, MemorySegment cs, long c,
                            MemorySegment hs, long h, int len) {
        ScalarRnnKernels.lstmActivations(gs, gates, hidden, len);
        int up = S.loopBound(len);
        long fo = gates + hidden, go = gates + 2L * hidden, oo = gates + 3L * hidden;
        for (int j = 0; j < up; j += L) {
            st(ld(gs, fo + j).mul(ld(cps, cPrev + j)).add(ld(gs, gates + j).mul(ld(gs, go + j))), cs, c + j);
        }
        ScalarRnnKernels.tanhInto(cs, c, hs, h, up);
        for (int j = 0; j < up; j += L) st(ld(gs, oo + j).mul(ld(hs, h + j)), hs, h + j);
        ScalarRnnKernels.lstmCell(gs, gates, hidden, cps, cPrev, cs, c, hs, h, up, len);
    }

    @Override
    public void gruForward(MemorySegment gs, long gates, int hidden, MemorySegment hgs, long hg, MemorySegment hps, long hPrev,
                           MemorySegment hs, long h, MemorySegment hns, long hn, int len) {
        int up = S.loopBound(len);
        long zo = gates + hidden, no = gates + 2L * hidden, hgz = hg + hidden, hgn = hg + 2L * hidden;
        for (int j = 0; j < up; j += L) {
            st(ld(gs, gates + j).add(ld(hgs, hg + j)), gs, gates + j);
            st(ld(gs, zo + j).add(ld(hgs, hgz + j)), gs, zo + j);
        }
        ScalarRnnKernels.sigmoidInPlace(gs, gates, up);
        ScalarRnnKernels.sigmoidInPlace(gs, zo, up);
        for (int j = 0; j < up; j += L) {
            FloatVector hgN = ld(hgs, hgn + j);
            st(ld(gs, no + j).add(ld(gs, gates + j).mul(hgN)), gs, no + j);
            if (hns != null) st(hgN, hns, hn + j);
        }
        ScalarRnnKernels.tanhInPlace(gs, no, up);
        for (int j = 0; j < up; j += L) {
            FloatVector n = ld(gs, no + j);
            st(n.add(ld(gs, zo + j).mul(ld(hps, hPrev + j).sub(n))), hs, h + j);
        }
        if (up < len) {
            ScalarRnnKernels.INSTANCE.gruForward(gs, gates + up, hidden, hgs, hg + up, hps, hPrev + up, hs, h + up, hns, hn + up, len - up);
        }
    }

    @Override
    public void lstmBackward(MemorySegment rs, long rec, int hidden, MemorySegment cps, long cPrev, MemorySegment dhs, long dh,
                             MemorySegment gos, long gradOut, MemorySegment dcs, long dc, MemorySegment dgs, long dGates, int len) {
        long fo = rec + hidden, go = rec + 2L * hidden, oo = rec + 3L * hidden;
        long dfo = dGates + hidden, dgo = dGates + 2L * hidden, doo = dGates + 3L * hidden;
        ScalarRnnKernels.tanhInto(rs, rec + 4L * hidden, dgs, doo, len);  // tanh(c), parked where do goes
        int up = S.loopBound(len);
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int j = 0; j < up; j += L) {
            FloatVector i = ld(rs, rec + j), f = ld(rs, fo + j), g = ld(rs, go + j), o = ld(rs, oo + j), tc = ld(dgs, doo + j);
            FloatVector dhT = ld(dhs, dh + j).add(ld(gos, gradOut + j));
            FloatVector dcT = ld(dcs, dc + j).add(dhT.mul(o).mul(one.sub(tc.mul(tc))));
            st(dcT.mul(g).mul(i.sub(i.mul(i))), dgs, dGates + j);
            st(dcT.mul(ld(cps, cPrev + j)).mul(f.sub(f.mul(f))), dgs, dfo + j);
            st(dcT.mul(i).mul(one.sub(g.mul(g))), dgs, dgo + j);
            st(dhT.mul(tc).mul(o.sub(o.mul(o))), dgs, doo + j);
            st(dcT.mul(f), dcs, dc + j);
        }
        ScalarRnnKernels.lstmGradients(rs, rec, hidden, cps, cPrev, dhs, dh, gos, gradOut, dcs, dc, dgs, dGates, up, len);
    }

    @Override
    public void gruBackward(MemorySegment rs, long rec, int hidden, MemorySegment hps, long hPrev, MemorySegment dhs, long dh,
                            MemorySegment gos, long gradOut, MemorySegment dxs, long dx, MemorySegment dhgs, long dhg, int len) {
        int up = S.loopBound(len);
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int j = 0; j < up; j += L) {
            FloatVector r = ld(rs, rec + j), z = ld(rs, rec + hidden + j), n = ld(rs, rec + 2L * hidden + j), hn = ld(rs, rec + 3L * hidden + j);
            FloatVector dhT = ld(dhs, dh + j).add(ld(gos, gradOut + j));
            FloatVector dz = dhT.mul(ld(hps, hPrev + j).sub(n)).mul(z.sub(z.mul(z)));
            FloatVector dn = dhT.mul(one.sub(z)).mul(one.sub(n.mul(n)));
            FloatVector dr = dn.mul(hn).mul(r.sub(r.mul(r)));
            st(dr, dxs, dx + j);
            st(dz, dxs, dx + hidden + j);
            st(dn, dxs, dx + 2L * hidden + j);
            st(dr, dhgs, dhg + j);
            st(dz, dhgs, dhg + hidden + j);
            st(dn.mul(r), dhgs, dhg + 2L * hidden + j);
            st(dhT.mul(z), dhs, dh + j);
        }
        ScalarRnnKernels.gruGradients(rs, rec, hidden, hps, hPrev, dhs, dh, gos, gradOut, dxs, dx, dhgs, dhg, up, len);
    }
}
