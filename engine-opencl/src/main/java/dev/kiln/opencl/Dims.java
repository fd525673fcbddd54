package dev.kiln.opencl;

import java.util.ArrayList;
import java.util.List;

/**
 * Shape and strides of several same-shaped views with extent-1 axes dropped and neighbouring axes
 * merged where every view steps through them as one (contiguous runs, broadcast runs), so that
 * kernels unravel as few axes as possible.
 */
record Dims(long[] shape, long[][] strides) {

    static Dims collapse(int[] shape, long[]... strides) {
        List<Long> sh = new ArrayList<>();
        List<long[]> st = new ArrayList<>();
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue;
            long[] s = new long[strides.length];
            for (int v = 0; v < strides.length; v++) s[v] = strides[v][d];
            int last = sh.size() - 1;
            if (last >= 0 && mergeable(sh.get(last), st.get(last), shape[d], s)) {
                sh.set(last, sh.get(last) * shape[d]);
                st.set(last, s);
            } else {
                sh.add((long) shape[d]);
                st.add(s);
            }
        }
        if (sh.isEmpty()) {
            sh.add(1L);
            st.add(new long[strides.length]);
        }
        long[] outShape = sh.stream().mapToLong(Long::longValue).toArray();
        long[][] outStrides = new long[strides.length][outShape.length];
        for (int d = 0; d < outShape.length; d++) {
            for (int v = 0; v < strides.length; v++) outStrides[v][d] = st.get(d)[v];
        }
        return new Dims(outShape, outStrides);
    }

    /** The outer axis (extent unused) folds into the inner one when outer stride = inner stride * inner extent for all views. */
    private static boolean mergeable(long outerExtent, long[] outer, int innerExtent, long[] inner) {
        for (int v = 0; v < outer.length; v++) {
            if (outer[v] != inner[v] * innerExtent) return false;
        }
        return true;
    }

    int rank() { return shape.length; }

    long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
