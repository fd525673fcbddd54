package dev.kiln.cpu;

/**
 * Float64 attention from the math, on flat row-major arrays: q [N, H, Tq, D], k and v [N, H, Tk, D],
 * mask already expanded to [N, H, Tq, Tk] (or null). Forward: S = scale q k^T + mask (-inf where
 * causal drops j > i), P = softmax(S), out = P v, lse = log sum exp S (+inf and zeros for a row with
 * no key). Backward, analytic: dV = P^T dO, dP = dO v^T, dS = P (dP - rowsum(dO out)), dQ = scale dS k,
 * dK = scale dS^T q.
 */
final class AttentionF64 {
    final int n, h, tq, tk, d;
    final double[] out, lse, dq, dk, dv;

    AttentionF64(int n, int h, int tq, int tk, int d, double[] q, double[] k, double[] v, double[] mask, boolean causal, double scale,
                 double[] gradOut) {
        this.n = n;
        this.h = h;
        this.tq = tq;
        this.tk = tk;
        this.d = d;
        out = new double[n * h * tq * d];
        lse = new double[n * h * tq];
        dq = new double[out.length];
        dk = new double[n * h * tk * d];
        dv = new double[dk.length];
        double[] p = new double[tk], dp = new double[tk];
        for (int head = 0; head < n * h; head++) {
            int qh = head * tq * d, kh = head * tk * d;
            for (int i = 0; i < tq; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < tk; j++) {
                    double dot = 0;
                    for (int e = 0; e < d; e++) dot += q[qh + i * d + e] * k[kh + j * d + e];
                    double s = scale * dot + (mask == null ? 0 : mask[(head * tq + i) * tk + j]);
                    if (causal && j > i) s = Double.NEGATIVE_INFINITY;
                    p[j] = s;
                    max = Math.max(max, s);
                }
                if (max == Double.NEGATIVE_INFINITY) {
                    lse[head * tq + i] = Double.POSITIVE_INFINITY;
                    continue;
                }
                double sum = 0;
                for (int j = 0; j < tk; j++) sum += p[j] = Math.exp(p[j] - max);
                lse[head * tq + i] = max + Math.log(sum);
                for (int j = 0; j < tk; j++) {
                    p[j] /= sum;
                    for (int e = 0; e < d; e++) out[qh + i * d + e] += p[j] * v[kh + j * d + e];
                }
                if (gradOut == null) continue;
                double rowDot = 0;
                for (int e = 0; e < d; e++) rowDot += gradOut[qh + i * d + e] * out[qh + i * d + e];
                for (int j = 0; j < tk; j++) {
                    double g = 0;
                    for (int e = 0; e < d; e++) g += gradOut[qh + i * d + e] * v[kh + j * d + e];
                    dp[j] = p[j] * (g - rowDot);
                }
                for (int j = 0; j < tk; j++) {
                    for (int e = 0; e < d; e++) {
                        dv[kh + j * d + e] += p[j] * gradOut[qh + i * d + e];
                        dq[qh + i * d + e] += scale * dp[j] * k[kh + j * d + e];
                        dk[kh + j * d + e] += scale * dp[j] * q[qh + i * d + e];
                    }
                }
            }
        }
    }
}
