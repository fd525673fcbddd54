package dev.kiln.tck.ref;

import dev.kiln.tck.HostTensor;
import java.util.List;

/** Data movement in float64: permute, slice, concat, gather and scatter, by coordinates. */
public final class Layout {
    private Layout() {}

    /** New axis i is old axis {@code order[i]}. */
    public static HostTensor permute(HostTensor x, int... order) {
        int r = x.rank();
        int[] dims = new int[r];
        for (int i = 0; i < r; i++) dims[i] = x.shape[order[i]];
        HostTensor out = HostTensor.zeros(dims);
        for (int i = 0; i < out.numel(); i++) {
            int[] o = Broadcast.coords(dims, i);
            int[] src = new int[r];
            for (int k = 0; k < r; k++) src[order[k]] = o[k];
            out.data[i] = x.get(src);
        }
        return out;
    }

    /** Python's {@code x[start:end:step]} along {@code axis} (step > 0). */
    public static HostTensor slice(HostTensor x, int axis, int start, int end, int step) {
        int n = x.shape[axis];
        int s = Math.clamp(start < 0 ? start + n : start, 0, n), e = Math.clamp(end < 0 ? end + n : end, 0, n);
        int len = e <= s ? 0 : (e - s + step - 1) / step;
        int[] dims = x.shape.clone();
        dims[axis] = len;
        HostTensor out = HostTensor.zeros(dims);
        for (int i = 0; i < out.numel(); i++) {
            int[] o = Broadcast.coords(dims, i);
            o[axis] = s + o[axis] * step;
            out.data[i] = x.get(o);
        }
        return out;
    }

    public static HostTensor concat(List<HostTensor> parts, int axis) {
        int[] dims = parts.get(0).shape.clone();
        dims[axis] = parts.stream().mapToInt(p -> p.shape[axis]).sum();
        HostTensor out = HostTensor.zeros(dims);
        for (int i = 0; i < out.numel(); i++) {
            int[] o = Broadcast.coords(dims, i);
            int at = o[axis];
            for (HostTensor p : parts) {
                if (at < p.shape[axis]) {
                    o[axis] = at;
                    out.data[i] = p.get(o);
                    break;
                }
                at -= p.shape[axis];
            }
        }
        return out;
    }

    /** {@code torch.gather}: out has index's shape; out[..j..] = x[..index[..j..]..] along axis. */
    public static HostTensor gather(HostTensor x, int axis, HostTensor index) {
        HostTensor out = HostTensor.zeros(index.shape);
        for (int i = 0; i < out.numel(); i++) {
            int[] o = Broadcast.coords(index.shape, i);
            o[axis] = (int) index.data[i];
            out.data[i] = x.get(o);
        }
        return out;
    }

    /** {@code torch.index_select} with a 1-D index. */
    public static HostTensor indexSelect(HostTensor x, int axis, HostTensor index) {
        int[] dims = x.shape.clone();
        dims[axis] = index.numel();
        HostTensor out = HostTensor.zeros(dims);
        for (int i = 0; i < out.numel(); i++) {
            int[] o = Broadcast.coords(dims, i);
            o[axis] = (int) index.data[o[axis]];
            out.data[i] = x.get(o);
        }
        return out;
    }

    /** {@code torch.scatter_add}: a copy of self with src[..j..] added at self[..index[..j..]..]. */
    public static HostTensor scatterAdd(HostTensor self, int axis, HostTensor index, HostTensor src) {
        HostTensor out = new HostTensor(self.data.clone(), self.shape);
        for (int i = 0; i < index.numel(); i++) {
            int[] o = Broadcast.coords(index.shape, i);
            double v = src.get(o);
            o[axis] = (int) index.data[i];
            out.set(out.get(o) + v, o);
        }
        return out;
    }

    /** {@code torch.index_add} with a 1-D index. */
    public static HostTensor indexAdd(HostTensor self, int axis, HostTensor index, HostTensor src) {
        HostTensor out = new HostTensor(self.data.clone(), self.shape);
        for (int i = 0; i < src.numel(); i++) {
            int[] o = Broadcast.coords(src.shape, i);
            o[axis] = (int) index.data[o[axis]];
            out.set(out.get(o) + src.data[i], o);
        }
        return out;
    }
}
