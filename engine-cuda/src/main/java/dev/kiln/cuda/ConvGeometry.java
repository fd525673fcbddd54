package dev.kiln.cuda;

import dev.kiln.Conv2dParams;
import dev.kiln.ShapeException;
import java.util.Arrays;

/**
 * The shapes and parameters of one 2-d convolution as cuDNN's descriptors take them: input [N, C, H, W],
 * weight [OC, C / groups, KH, KW], output [N, OC, OH, OW]. A record, so it also keys the algorithm cache.
 */
public record ConvGeometry(int n, int c, int h, int w, int oc, int kh, int kw, int oh, int ow, int padH, int padW,
                           int strideH, int strideW, int dilationH, int dilationW, int groups) {

    public static ConvGeometry of(int[] input, int[] weight, Conv2dParams p) {
        if (input.length != 4 || weight.length != 4) {
            throw new ShapeException("conv2d: input " + Arrays.toString(input) + " and weight " + Arrays.toString(weight)
                    + " must both have rank 4 (NCHW, [OC, C/groups, KH, KW])");
        }
        if (input[1] != weight[1] * p.groups() || weight[0] % p.groups() != 0) {
            throw new ShapeException("conv2d: input " + Arrays.toString(input) + " with weight " + Arrays.toString(weight)
                    + " and " + p.groups() + " groups: expected C = weight[1] * groups and OC divisible by groups");
        }
        int oh = p.outH(input[2], weight[2]), ow = p.outW(input[3], weight[3]);
        if (oh <= 0 || ow <= 0) {
            throw new ShapeException("conv2d: input " + Arrays.toString(input) + " is smaller than the kernel "
                    + Arrays.toString(weight) + " with " + p + " (output " + oh + "x" + ow + ")");
        }
        return new ConvGeometry(input[0], input[1], input[2], input[3], weight[0], weight[2], weight[3], oh, ow, p.padH(),
                p.padW(), p.strideH(), p.strideW(), p.dilationH(), p.dilationW(), p.groups());
    }

    public int[] input() { return new int[] {n, c, h, w}; }

    public int[] weight() { return new int[] {oc, c / groups, kh, kw}; }

    public int[] output() { return new int[] {n, oc, oh, ow}; }
}
