package dev.kiln.cuda;

import dev.kiln.Pool2dParams;
import dev.kiln.ShapeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** The PoolGeom struct of pool.cu for input [..., H, W]: twelve ints, 48 bytes. */
record PoolGeometry(long planes, int h, int w, int oh, int ow, Pool2dParams p) {
    static final int BYTES = 48;

    static PoolGeometry of(int[] input, Pool2dParams p) {
        if (input.length < 2) throw new ShapeException("pool2d: input " + Arrays.toString(input) + " needs at least rank 2");
        int h = input[input.length - 2], w = input[input.length - 1];
        long planes = 1;
        for (int d = 0; d < input.length - 2; d++) planes *= input[d];
        return new PoolGeometry(planes, h, w, p.outH(h), p.outW(w), p);
    }

    int[] outputShape(int[] input) {
        int[] o = input.clone();
        o[o.length - 2] = oh;
        o[o.length - 1] = ow;
        return o;
    }

    boolean empty() { return planes == 0 || h == 0 || w == 0 || oh <= 0 || ow <= 0; }

    byte[] pack() {
        ByteBuffer bb = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : new int[] {h, w, oh, ow, p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padH(), p.padW(),
                p.countIncludePad() ? 1 : 0, 0}) {
            bb.putInt(v);
        }
        return bb.array();
    }
}
