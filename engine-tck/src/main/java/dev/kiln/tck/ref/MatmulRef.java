package dev.kiln.tck.ref;

import dev.kiln.tck.HostTensor;
import java.util.Arrays;

/** NumPy's matmul in float64: 1-D operands become a row or a column, leading axes broadcast. */
public final class MatmulRef {
    private MatmulRef() {}

    public static HostTensor matmul(HostTensor a, HostTensor b) {
        int[] ad = a.rank() == 1 ? new int[] {1, a.shape[0]} : a.shape;
        int[] bd = b.rank() == 1 ? new int[] {b.shape[0], 1} : b.shape;
        int m = ad[ad.length - 2], k = ad[ad.length - 1], n = bd[bd.length - 1];
        int[] batch = Broadcast.shape(Arrays.copyOf(ad, ad.length - 2), Arrays.copyOf(bd, bd.length - 2));
        HostTensor a2 = new HostTensor(a.data, ad), b2 = new HostTensor(b.data, bd);
        int[] outDims = Arrays.copyOf(batch, batch.length + 2);
        outDims[batch.length] = m;
        outDims[batch.length + 1] = n;
        HostTensor out = HostTensor.zeros(outDims);
        for (int o = 0; o < out.numel(); o++) {
            int[] idx = Broadcast.coords(outDims, o);
            int i = idx[batch.length], j = idx[batch.length + 1];
            double acc = 0;
            for (int q = 0; q < k; q++) {
                idx[batch.length] = i;
                idx[batch.length + 1] = q;
                double x = Broadcast.at(a2, idx);
                idx[batch.length] = q;
                idx[batch.length + 1] = j;
                acc += x * Broadcast.at(b2, idx);
            }
            out.data[o] = acc;
        }
        if (a.rank() > 1 && b.rank() > 1) return out;
        int[] squeezed = Arrays.copyOf(batch, batch.length + (a.rank() > 1 ? 1 : 0) + (b.rank() > 1 ? 1 : 0));
        int at = batch.length;
        if (a.rank() > 1) squeezed[at++] = m;
        if (b.rank() > 1) squeezed[at] = n;
        return new HostTensor(out.data, squeezed);
    }
}
