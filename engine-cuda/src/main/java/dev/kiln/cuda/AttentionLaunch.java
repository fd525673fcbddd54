package dev.kiln.cuda;

import dev.kiln.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Launch geometry of attention.cu for q [N, H, Tq, D] and k [N, H, Tk, D]. */
record AttentionLaunch(int n, int heads, int tq, int tk, int d) {
    /** KILN_ATT_MAX_D and KILN_ATT_TILE of attention.cu. */
    static final int MAX_HEAD_SIZE = 128, TILE = 32;
    static final int MASK_BYTES = 40;

    static AttentionLaunch of(Tensor q, Tensor k) {
        return new AttentionLaunch(q.dim(0), q.dim(1), q.dim(2), k.dim(2), q.dim(3));
    }

    /** Head sizes above the kernels' register tiles, empty tensors and grids past 65535 heads use the composite. */
    boolean supported() {
        return d >= 1 && d <= MAX_HEAD_SIZE && tq > 0 && tk > 0 && (long) n * heads >= 1 && (long) n * heads <= 65535;
    }

    int queryBlocks() { return (tq + TILE - 1) / TILE; }

    int keyBlocks() { return (tk + TILE - 1) / TILE; }

    /** The AttMask struct of attention.cu: {@code const float* data; i64 sn, sh, si, sj;} (40 bytes). */
    static byte[] packMask(long address, long[] strides) {
        ByteBuffer bb = ByteBuffer.allocate(MASK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(address);
        for (long s : strides) bb.putLong(s);
        return bb.array();
    }
}
