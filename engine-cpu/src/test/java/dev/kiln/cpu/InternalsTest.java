package dev.kiln.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The strided walker's axis merging and segmenting, and the scalar math the generic path relies on. */
class InternalsTest {
    @Test
    void contiguousOperandsMergeIntoOneRow() {
        StridedLoop loop = new StridedLoop(new int[] {4, 1, 5, 6}, new long[] {0, 10}, new long[] {30, 30, 6, 1}, new long[] {30, 0, 6, 1});
        assertEquals(120, loop.innerExtent());
        assertEquals(1, loop.innerStride(0));
    }

    @Test
    void broadcastAndTransposedAxesStaySeparate() {
        StridedLoop loop = new StridedLoop(new int[] {3, 4}, new long[] {0, 0}, new long[] {4, 1}, new long[] {0, 1});
        assertEquals(4, loop.innerExtent());
        StridedLoop t = new StridedLoop(new int[] {3, 4}, new long[] {0}, new long[] {1, 3});
        assertEquals(4, t.innerExtent());
        assertEquals(3, t.innerStride(0));
    }

    @Test
    void segmentsCoverARangeInRowMajorOrderWithOffsets() {
        // [3, 5] transposed view of a [5, 3] buffer starting at offset 2.
        StridedLoop loop = new StridedLoop(new int[] {3, 5}, new long[] {2}, new long[] {1, 3});
        List<long[]> seen = new ArrayList<>();
        loop.run(4, 13, 3, (offs, n, first) -> seen.add(new long[] {offs[0], n, first}));
        long covered = 0, expectFirst = 4;
        for (long[] s : seen) {
            assertEquals(expectFirst, s[2]);
            long row = s[2] / 5, col = s[2] % 5;
            assertEquals(2 + row + col * 3, s[0], "offset of element " + s[2]);
            expectFirst += s[1];
            covered += s[1];
        }
        assertEquals(9, covered);
    }

    @Test
    void erfMatchesTabulatedValues() {
        double[][] table = {
                {0, 0}, {0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1, 0.8427007929497149},
                {2, 0.9953222650189527}, {2.9, 0.9999589021219005}, {3, 0.9999779095030014},
                {3.5, 0.9999992569016276}, {4.5, 0.9999999998033839}, {-1.5, -0.9661051464753108}, {7, 1}};
        for (double[] row : table) assertEquals(row[1], MathFns.erf(row[0]), 1e-14, "erf(" + row[0] + ")");
    }

    @Test
    void sigmoidIsFiniteAtTheExtremes() {
        assertEquals(0, MathFns.sigmoid(-1000), 0);
        assertEquals(1, MathFns.sigmoid(1000), 0);
        assertEquals(0.5, MathFns.sigmoid(0), 0);
    }
}
