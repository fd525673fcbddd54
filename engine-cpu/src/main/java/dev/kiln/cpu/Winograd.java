package dev.kiln.cpu;

import static dev.kiln.cpu.Elem.F;

import java.lang.foreign.MemorySegment;

/**
 * 3x3 stride-1 convolution by Winograd's F(2x2, 3x3): each 2x2 output tile costs 16 multiplies per
 * input channel instead of 36. The filters become U = G g G^T and each 4x4 input patch V = B^T d B
 * (16 "frequencies" xi), the products are 16 GEMMs M[xi] = U[xi] [OC, C] · V[xi] [C, tiles] on
 * {@link Gemm}, and each output tile is A^T M A (+ bias), clipped at the right and bottom edges.
 *
 * <p>Error: the transforms only add, subtract and halve (the halves in G are exact in float), so
 * the result differs from the direct sum by a few float32 roundings more than im2col + GEMM: a
 * measured relative error (against float64, Gaussian data) of 2.6e-7 to 4.3e-7 for C = 64..192,
 * where im2col + GEMM gives 3.2e-7 to 3.3e-7; CpuFastPathsTest holds it to the same 1e-5 bound as the
 * other paths, and the conformance kit's convolution cases pass with it on.
 *
 * <p>Images are taken in chunks so the transformed input stays under {@link #BUDGET} floats.
 */
final class Winograd {
    private Winograd() {}

    /** Floats of transformed input (16 x C x tiles) one chunk may hold: 16 MiB. */
    static final long BUDGET = 4L << 20;

    /**
     * Off unless {@code -Dkiln.cpu.winograd=true}: it passes the kit, but on the 2-core AVX2 machine it
     * was measured on it was not faster than implicit im2col + GEMM (its 16 GEMMs have K = C only, and
     * the transforms are scalar), so im2col + GEMM stays the default.
     */
    static final boolean ENABLED = "true".equalsIgnoreCase(System.getProperty("kiln.cpu.winograd"));

    /** Below this many input or output channels the transforms cost more than the multiplies they save. */
    static final int MIN_CHANNELS = 16;

    /** Groups 1, 3x3, stride 1, dilation 1, enough channels: the shapes this path computes. */
    static boolean applies(ConvGeometry g) {
        return ENABLED && g.c() >= MIN_CHANNELS && g.oc() >= MIN_CHANNELS && computes(g);
    }

    /** The shapes the transforms are written for, whatever the channel counts. */
    static boolean computes(ConvGeometry g) {
        var p = g.p();
        return g.groups() == 1 && g.kh() == 3 && g.kw() == 3 && p.strideH() == 1 && p.strideW() == 1
                && p.dilationH() == 1 && p.dilationW() == 1 && g.oh() >= 2 && g.ow() >= 2;
    }

    /** U[xi][oc][c] = (G g G^T)[xi] for every filter g = w[oc, c]. */
    static float[] filters(MemorySegment w, long wOff, int oc, int c) {
        float[] u = new float[16 * oc * c];
        float[] g = new float[9], t = new float[12];
        for (int o = 0; o < oc; o++) {
            for (int ch = 0; ch < c; ch++) {
                MemorySegment.copy(w, F, (wOff + ((long) o * c + ch) * 9) * 4, g, 0, 9);
                // t = G g (4x3): rows g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2
                for (int j = 0; j < 3; j++) {
                    float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
                    t[j] = g0;
                    t[3 + j] = 0.5f * (g0 + g1 + g2);
                    t[6 + j] = 0.5f * (g0 - g1 + g2);
                    t[9 + j] = g2;
                }
                // U = t G^T (4x4)
                for (int i = 0; i < 4; i++) {
                    float a = t[i * 3], b = t[i * 3 + 1], d = t[i * 3 + 2];
                    u[((i * 4) * oc + o) * c + ch] = a;
                    u[((i * 4 + 1) * oc + o) * c + ch] = 0.5f * (a + b + d);
                    u[((i * 4 + 2) * oc + o) * c + ch] = 0.5f * (a - b + d);
                    u[((i * 4 + 3) * oc + o) * c + ch] = d;
                }
            }
        }
        return u;
    }

    /** out [n, oc, oh, ow] of x [n, c, h, w] with the transformed filters u (+ bias). */
    static void forward(Gemm gemm, MemorySegment x, long xOff, float[] u, float[] bias, ConvGeometry g, MemorySegment out, long outOff) {
        forward(gemm, x, xOff, u, bias, g, out, outOff, BUDGET);
    }

    /** As above with a chosen chunk budget (tests use a small one to cross chunk boundaries). */
    static void forward(Gemm gemm, MemorySegment x, long xOff, float[] u, float[] bias, ConvGeometry g, MemorySegment out, long outOff,
                        long budget) {
        int c = g.c(), oc = g.oc(), h = g.h(), w = g.w(), oh = g.oh(), ow = g.ow();
        int th = (oh + 1) / 2, tw = (ow + 1) / 2, tilesPerImage = th * tw;
        int chunk = (int) Math.clamp(budget / Math.max(1, 16L * c * tilesPerImage), 1, Math.max(1, g.n()));
        MemorySegment us = MemorySegment.ofArray(u);
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int nc = Math.min(chunk, g.n() - n0), tiles = nc * tilesPerImage;
            float[] v = new float[16 * c * tiles], m = new float[16 * oc * tiles];
            int first = n0;
            // V[xi][ch][tile] = (B^T d B)[xi], parallel over (image, channel) planes
            Parallel.forRange((long) nc * c, 2, 1, (s, e) -> {
                float[] d = new float[16], t = new float[16];
                for (long plane = s; plane < e; plane++) {
                    int img = (int) (plane / c), ch = (int) (plane % c);
                    long base = xOff + ((long) (first + img) * c + ch) * h * w;
                    for (int ty = 0; ty < th; ty++) {
                        for (int tx = 0; tx < tw; tx++) {
                            int y0 = 2 * ty - g.p().padH(), x0 = 2 * tx - g.p().padW();
                            for (int i = 0; i < 4; i++) {
                                int y = y0 + i;
                                for (int j = 0; j < 4; j++) {
                                    int xx = x0 + j;
                                    d[i * 4 + j] = y >= 0 && y < h && xx >= 0 && xx < w ? x.getAtIndex(F, base + (long) y * w + xx) : 0f;
                                }
                            }
                            inputTransform(d, t, v, (long) ch * tiles + (long) img * tilesPerImage + ty * tw + tx, (long) c * tiles);
                        }
                    }
                }
            });
            MemorySegment vs = MemorySegment.ofArray(v), ms = MemorySegment.ofArray(m);
            Panels a = StridedPanels.of(us, 0, (long) oc * c, c, 1);
            Panels b = StridedPanels.of(vs, 0, (long) c * tiles, 1, tiles);
            gemm.run(16, oc, tiles, c, a, b, new Gemm.Out(ms, 0, (long) oc * tiles, tiles, 1), 1f, 0f, null);
            // Y = A^T M A per tile, clipped, plus bias
            Parallel.forRange((long) nc * oc, 2, 1, (s, e) -> {
                float[] mt = new float[16], r = new float[8];
                for (long plane = s; plane < e; plane++) {
                    int img = (int) (plane / oc), o = (int) (plane % oc);
                    long dst = outOff + ((long) (first + img) * oc + o) * oh * ow;
                    float bo = bias == null ? 0f : bias[o];
                    for (int ty = 0; ty < th; ty++) {
                        for (int tx = 0; tx < tw; tx++) {
                            long at = (long) o * tiles + (long) img * tilesPerImage + ty * tw + tx;
                            for (int xi = 0; xi < 16; xi++) mt[xi] = m[(int) (xi * (long) oc * tiles + at)];
                            outputTile(mt, r, bias != null, bo, out, dst, 2 * ty, 2 * tx, oh, ow);
                        }
                    }
                }
            });
        }
    }

    /** v[xi * stride + at] = (B^T d B)[xi] with B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. */
    private static void inputTransform(float[] d, float[] t, float[] v, long at, long stride) {
        for (int j = 0; j < 4; j++) {
            float d0 = d[j], d1 = d[4 + j], d2 = d[8 + j], d3 = d[12 + j];
            t[j] = d0 - d2;
            t[4 + j] = d1 + d2;
            t[8 + j] = d2 - d1;
            t[12 + j] = d1 - d3;
        }
        for (int i = 0; i < 4; i++) {
            float t0 = t[i * 4], t1 = t[i * 4 + 1], t2 = t[i * 4 + 2], t3 = t[i * 4 + 3];
            v[(int) ((i * 4) * stride + at)] = t0 - t2;
            v[(int) ((i * 4 + 1) * stride + at)] = t1 + t2;
            v[(int) ((i * 4 + 2) * stride + at)] = t2 - t1;
            v[(int) ((i * 4 + 3) * stride + at)] = t1 - t3;
        }
    }

    /** Writes A^T M A (A^T = [1 1 1 0; 0 1 -1 -1]) at (y0, x0), the part inside [oh, ow]. */
    private static void outputTile(float[] m, float[] r, boolean hasBias, float bias, MemorySegment out, long plane, int y0, int x0,
                                   int oh, int ow) {
        // rows: r0 = m0 + m1 + m2, r1 = m1 - m2 - m3 (over the 4 rows of each column)
        for (int j = 0; j < 4; j++) {
            r[j] = m[j] + m[4 + j] + m[8 + j];
            r[4 + j] = m[4 + j] - m[8 + j] - m[12 + j];
        }
        for (int i = 0; i < 2 && y0 + i < oh; i++) {
            float a = r[i * 4], b = r[i * 4 + 1], c = r[i * 4 + 2], d = r[i * 4 + 3];
            float y00 = a + b + c, y01 = b - c - d;
            if (hasBias) {
                y00 += bias;
                y01 += bias;
            }
            long row = plane + (long) (y0 + i) * ow + x0;
            out.setAtIndex(F, row, y00);
            if (x0 + 1 < ow) out.setAtIndex(F, row + 1, y01);
        }
    }
}
