package dev.kiln.cpu;

import java.lang.foreign.MemorySegment;

/**
 * The fused per-step gate math of {@link CpuRnn}, over {@code len} columns of one batch row (offsets in
 * elements, each pointing at the row's first column of the range; a gate row holds its gates'
 * blocks {@code hidden} apart). Two implementations, Vector API and scalar, with the same bits: the
 * sigmoid and tanh are scalar {@code Math} in both (the Vector API's transcendental lanes change
 * bits with the JIT tier), and every product and sum is a separately rounded float multiply or add,
 * in the same order, in the vector body and in the scalar tail.
 */
interface RnnKernels {
    /**
     * LSTM: the pre-activations {@code i, f, g, o} at {@code gates} become sigma, sigma, tanh, sigma of
     * themselves (in place), {@code c = f * cPrev + i * g}, {@code h = o * tanh(c)}. cPrev may be c.
     */
    void lstmForward(MemorySegment gs, long gates, int hidden, MemorySegment cps, long cPrev, MemorySegment cs, long c,
                     MemorySegment hs, long h, int len);

    /**
     * GRU: {@code gates} holds the input projections {@code x_r, x_z, x_n} (with b_ih) and {@code hg}
     * the recurrent ones {@code (h W_hh^T + b_hh)_{r,z,n}}; the gates become {@code r, z} and
     * {@code n = tanh(x_n + r * hg_n)} in place, {@code h = n + z * (hPrev - n)}, and hg_n is copied to
     * {@code hn} when {@code hns} is not null (the backward pass needs it).
     */
    void gruForward(MemorySegment gs, long gates, int hidden, MemorySegment hgs, long hg, MemorySegment hps, long hPrev,
                    MemorySegment hs, long h, MemorySegment hns, long hn, int len);

    /**
     * LSTM backward of one step, from the step record {@code i, f, g, o, c} at {@code rec}: with
     * {@code dhT = dh + gradOut}, {@code dcT = dc + dhT * o * (1 - tanh(c)^2)}, writes the gate
     * gradients {@code di, df, dg, do} at {@code dGates} and {@code dc = dcT * f} in place (dh is only read).
     */
    void lstmBackward(MemorySegment rs, long rec, int hidden, MemorySegment cps, long cPrev, MemorySegment dhs, long dh,
                      MemorySegment gos, long gradOut, MemorySegment dcs, long dc, MemorySegment dgs, long dGates, int len);

    /**
     * GRU backward of one step, from the record {@code r, z, n, hn} at {@code rec}: with
     * {@code dhT = dh + gradOut}, writes {@code dr, dz, dn} at {@code dx} (the input-side gate
     * gradients), {@code dr, dz, dn * r} at {@code dhg} (the recurrent side) and {@code dh = dhT * z}
     * in place (the direct path of h_{t-1}; the caller adds {@code dhg W_hh}).
     */
    void gruBackward(MemorySegment rs, long rec, int hidden, MemorySegment hps, long hPrev, MemorySegment dhs, long dh,
                     MemorySegment gos, long gradOut, MemorySegment dxs, long dx, MemorySegment dhgs, long dhg, int len);
}
