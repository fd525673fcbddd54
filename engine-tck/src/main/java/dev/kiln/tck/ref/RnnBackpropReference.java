package dev.kiln.tck.ref;

/**
 * Float64 backpropagation through time for a stacked, optionally bidirectional LSTM or GRU, written
 * from the equations of {@code torch.nn.LSTM} / {@code GRU} (gates i, f, g, o; r, z, n with r applied
 * to {@code W_hn h + b_hn}) and their derivatives, independently of the code under test. Arrays are
 * row-major: x [T, N, in], states [layers * dirs, N, H], weights w_ih, w_hh, b_ih, b_hh per layer and
 * direction. The CPU backend's CpuRnnPathTest checks it against central differences on a small case;
 * backend tests use it where finite differences would be too slow (long sequences, wide layers).
 */
public final class RnnBackpropReference {
    public final boolean lstm;
    public final int layers, dirs, steps, batch, hidden, inputSize;
    public final double[] x, h0, c0;
    public final double[][] w;
    // forward results
    public double[] output, hN, cN;
    // per slot: activations [T][N][gates * H], cell states [T][N][H] (LSTM), hn (GRU) [T][N][H]; per layer: outputs
    private double[][] act, cell, hnRec, layerOut;
    // gradients
    public double[] gInput, gH0, gC0;
    /** The magnitudes of the terms of the last sum that made each input and h0 gradient element (they may cancel). */
    public double[] gInputTermScale, gH0TermScale;
    public double[][] gW;
    /** Per weight gradient element, the sum of its terms' magnitudes: what a float32 sum over T * N rows is accurate relative to. */
    public double[][] gWTermScale;

    public RnnBackpropReference(boolean lstm, int layers, boolean bidirectional, int steps, int batch, int inputSize, int hidden, double[] x,
                         double[] h0, double[] c0, double[][] w) {
        this.lstm = lstm;
        this.layers = layers;
        this.dirs = bidirectional ? 2 : 1;
        this.steps = steps;
        this.batch = batch;
        this.hidden = hidden;
        this.inputSize = inputSize;
        this.x = x;
        this.h0 = h0;
        this.c0 = c0;
        this.w = w;
    }

    public int gates() { return (lstm ? 4 : 3) * hidden; }

    public int in(int layer) { return layer == 0 ? inputSize : dirs * hidden; }

    private static double sigmoid(double v) { return 1 / (1 + Math.exp(-v)); }

    /**
     * A value the forward pass saves for the backward (gate activations, cell states, layer
     * outputs): every backend keeps them as F32 (RnnComposite's reserve layout), and a saturated
     * gate's slope s (1 - s) is only as exact as the stored s (a relative 2^-24 / (1 - s)).
     * {@link #backwardFromF32Saved} starts from the same rounded values, so it is the float64
     * backward of what any backend can compute, and the tolerance judges the backend's arithmetic,
     * not the storage.
     */
    private double saved(double v) { return roundSaved ? (float) v : v; }

    private double[] saved(double[] v) {
        if (!roundSaved) return v;
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = (float) v[i];
        return r;
    }

    /** Whether {@link #backward} starts from the saved values rounded to F32 ({@link #backwardFromF32Saved}). */
    private boolean roundSaved;

    /**
     * The backward of a backend: as {@link #backward}, from the forward's saved values rounded to
     * F32 as every backend stores them. {@link #backward} keeps them exact, for checks against
     * finite differences of a float64 forward.
     */
    public void backwardFromF32Saved(double[] gOut, double[] gH, double[] gC) {
        roundSaved = true;
        try {
            backward(gOut, gH, gC);
        } finally {
            roundSaved = false;
        }
    }

    private int time(int d, int s) { return d == 0 ? s : steps - 1 - s; }

    public void forward() {
        int g = gates(), slots = layers * dirs, width = dirs * hidden;
        act = new double[slots][steps * batch * g];
        cell = new double[slots][steps * batch * hidden];
        hnRec = new double[slots][steps * batch * hidden];
        layerOut = new double[layers][steps * batch * width];
        hN = new double[slots * batch * hidden];
        cN = lstm ? new double[slots * batch * hidden] : null;
        double[] input = x;
        for (int layer = 0; layer < layers; layer++) {
            int in = in(layer);
            for (int d = 0; d < dirs; d++) {
                int slot = layer * dirs + d;
                double[] wIh = w[4 * slot], wHh = w[4 * slot + 1], bIh = w[4 * slot + 2], bHh = w[4 * slot + 3];
                for (int n = 0; n < batch; n++) {
                    double[] h = new double[hidden], c = new double[hidden];
                    for (int j = 0; j < hidden; j++) {
                        h[j] = h0[(slot * batch + n) * hidden + j];
                        if (lstm) c[j] = c0[(slot * batch + n) * hidden + j];
                    }
                    for (int s = 0; s < steps; s++) {
                        int t = time(d, s), row = t * batch + n;
                        double[] gx = new double[g], gh = new double[g];
                        for (int o = 0; o < g; o++) {
                            double ax = bIh[o], ah = bHh[o];
                            for (int k = 0; k < in; k++) ax += wIh[o * in + k] * input[row * in + k];
                            for (int k = 0; k < hidden; k++) ah += wHh[o * hidden + k] * h[k];
                            gx[o] = ax;
                            gh[o] = ah;
                        }
                        double[] a = new double[g];
                        for (int j = 0; j < hidden; j++) {
                            if (lstm) {
                                a[j] = sigmoid(gx[j] + gh[j]);
                                a[hidden + j] = sigmoid(gx[hidden + j] + gh[hidden + j]);
                                a[2 * hidden + j] = Math.tanh(gx[2 * hidden + j] + gh[2 * hidden + j]);
                                a[3 * hidden + j] = sigmoid(gx[3 * hidden + j] + gh[3 * hidden + j]);
                                c[j] = a[hidden + j] * c[j] + a[j] * a[2 * hidden + j];
                                h[j] = a[3 * hidden + j] * Math.tanh(c[j]);
                                cell[slot][row * hidden + j] = c[j];
                            } else {
                                a[j] = sigmoid(gx[j] + gh[j]);
                                a[hidden + j] = sigmoid(gx[hidden + j] + gh[hidden + j]);
                                a[2 * hidden + j] = Math.tanh(gx[2 * hidden + j] + a[j] * gh[2 * hidden + j]);
                                hnRec[slot][row * hidden + j] = gh[2 * hidden + j];
                                h[j] = (1 - a[hidden + j]) * a[2 * hidden + j] + a[hidden + j] * h[j];
                            }
                        }
                        System.arraycopy(a, 0, act[slot], row * g, g);
                        for (int j = 0; j < hidden; j++) layerOut[layer][row * dirs * hidden + d * hidden + j] = h[j];
                    }
                    for (int j = 0; j < hidden; j++) {
                        hN[(slot * batch + n) * hidden + j] = h[j];
                        if (lstm) cN[(slot * batch + n) * hidden + j] = c[j];
                    }
                }
            }
            input = layerOut[layer];
        }
        output = layerOut[layers - 1];
    }

    /** Gradients of {@code L = <gOut, output> + <gH, hN> + <gC, cN>} (gH, gC may be null: zero). */
    public void backward(double[] gOut, double[] gH, double[] gC) {
        int g = gates(), slots = layers * dirs;
        gH0 = new double[slots * batch * hidden];
        gH0TermScale = new double[slots * batch * hidden];
        double[] belowScale = null;
        gC0 = lstm ? new double[slots * batch * hidden] : null;
        gW = new double[4 * slots][];
        gWTermScale = new double[4 * slots][];
        double[] above = gOut;
        for (int layer = layers - 1; layer >= 0; layer--) {
            int in = in(layer);
            double[] input = layer == 0 ? x : saved(layerOut[layer - 1]), below = new double[steps * batch * in];
            belowScale = new double[steps * batch * in];
            for (int d = 0; d < dirs; d++) {
                int slot = layer * dirs + d;
                double[] wIh = w[4 * slot], wHh = w[4 * slot + 1];
                double[] dWih = new double[g * in], dWhh = new double[g * hidden], dBih = new double[g], dBhh = new double[g];
                double[] sWih = new double[g * in], sWhh = new double[g * hidden], sBih = new double[g], sBhh = new double[g];
                for (int n = 0; n < batch; n++) {
                    double[] dh = new double[hidden], dc = new double[hidden];
                    for (int j = 0; j < hidden; j++) {
                        int at = (slot * batch + n) * hidden + j;
                        dh[j] = gH == null ? 0 : gH[at];
                        if (lstm) dc[j] = gC == null ? 0 : gC[at];
                    }
                    for (int s = steps - 1; s >= 0; s--) {
                        int t = time(d, s), row = t * batch + n;
                        int prevRow = s == 0 ? -1 : time(d, s - 1) * batch + n;
                        double[] hPrev = new double[hidden];
                        for (int j = 0; j < hidden; j++) {
                            hPrev[j] = s == 0 ? h0[(slot * batch + n) * hidden + j] : saved(layerOut[layer][prevRow * dirs * hidden + d * hidden + j]);
                        }
                        double[] dx = new double[g], dhg = new double[g], dhNext = new double[hidden], dhScale = new double[hidden];
                        for (int j = 0; j < hidden; j++) {
                            double dhT = dh[j] + above[row * dirs * hidden + d * hidden + j];
                            double a0 = saved(act[slot][row * g + j]), a1 = saved(act[slot][row * g + hidden + j]), a2 = saved(act[slot][row * g + 2 * hidden + j]);
                            if (lstm) {
                                double a3 = saved(act[slot][row * g + 3 * hidden + j]);
                                double c = saved(cell[slot][row * hidden + j]);
                                double cPrev = s == 0 ? c0[(slot * batch + n) * hidden + j] : saved(cell[slot][prevRow * hidden + j]);
                                double tc = Math.tanh(c);
                                double dcT = dc[j] + dhT * a3 * (1 - tc * tc);
                                dx[j] = dcT * a2 * a0 * (1 - a0);
                                dx[hidden + j] = dcT * cPrev * a1 * (1 - a1);
                                dx[2 * hidden + j] = dcT * a0 * (1 - a2 * a2);
                                dx[3 * hidden + j] = dhT * tc * a3 * (1 - a3);
                                dc[j] = dcT * a1;
                            } else {
                                double hn = saved(hnRec[slot][row * hidden + j]);
                                double dz = dhT * (hPrev[j] - a2) * a1 * (1 - a1);
                                double dn = dhT * (1 - a1) * (1 - a2 * a2);
                                double dr = dn * hn * a0 * (1 - a0);
                                dx[j] = dr;
                                dx[hidden + j] = dz;
                                dx[2 * hidden + j] = dn;
                                dhNext[j] = dhT * a1;
                                dhScale[j] = Math.abs(dhT * a1);
                            }
                        }
                        for (int o = 0; o < g; o++) dhg[o] = lstm || o < 2 * hidden ? dx[o] : dx[o] * saved(act[slot][row * g + o - 2 * hidden]);
                        for (int o = 0; o < g; o++) {
                            dBih[o] += dx[o];
                            dBhh[o] += dhg[o];
                            sBih[o] += Math.abs(dx[o]);
                            sBhh[o] += Math.abs(dhg[o]);
                            for (int k = 0; k < in; k++) {
                                dWih[o * in + k] += dx[o] * input[row * in + k];
                                sWih[o * in + k] += Math.abs(dx[o] * input[row * in + k]);
                                below[row * in + k] += dx[o] * wIh[o * in + k];
                                belowScale[row * in + k] += Math.abs(dx[o] * wIh[o * in + k]);
                            }
                            for (int k = 0; k < hidden; k++) {
                                dWhh[o * hidden + k] += dhg[o] * hPrev[k];
                                sWhh[o * hidden + k] += Math.abs(dhg[o] * hPrev[k]);
                                dhNext[k] += dhg[o] * wHh[o * hidden + k];
                                dhScale[k] += Math.abs(dhg[o] * wHh[o * hidden + k]);
                            }
                        }
                        dh = dhNext;
                        if (s == 0) {
                            for (int j = 0; j < hidden; j++) gH0TermScale[(slot * batch + n) * hidden + j] = dhScale[j];
                        }
                    }
                    for (int j = 0; j < hidden; j++) {
                        gH0[(slot * batch + n) * hidden + j] = dh[j];
                        if (lstm) gC0[(slot * batch + n) * hidden + j] = dc[j];
                    }
                }
                gW[4 * slot] = dWih;
                gW[4 * slot + 1] = dWhh;
                gW[4 * slot + 2] = dBih;
                gW[4 * slot + 3] = dBhh;
                gWTermScale[4 * slot] = sWih;
                gWTermScale[4 * slot + 1] = sWhh;
                gWTermScale[4 * slot + 2] = sBih;
                gWTermScale[4 * slot + 3] = sBhh;
            }
            above = below;
        }
        gInput = above;
        gInputTermScale = belowScale;
    }
}
