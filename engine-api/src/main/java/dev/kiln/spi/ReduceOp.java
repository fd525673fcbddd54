package dev.kiln.spi;

/**
 * Reductions. The output view has the input's rank, with extent 1 on every reduced axis. ARGMAX and
 * ARGMIN reduce exactly one axis, write the index along it into an I64 or I32 output, and break ties
 * toward the first index. NaN propagates through MAX and MIN (and ARGMAX/ARGMIN pick the first NaN).
 * SUM of floats accumulates in at least float32 precision with a method whose error does not grow
 * linearly in the element count (pairwise, tree, or a double accumulator).
 */
public enum ReduceOp {
    SUM, PROD, MAX, MIN, ARGMAX, ARGMIN
}
