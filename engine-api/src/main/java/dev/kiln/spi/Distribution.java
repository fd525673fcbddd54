package dev.kiln.spi;

/**
 * Random distributions, drawn from Philox 4x32-10 so that one seed gives the same numbers on every
 * backend. See {@link Philox} for the exact mapping from (seed, offset, element index) to a value.
 */
public enum Distribution {
    /** Uniform on [0, 1). */
    UNIFORM,
    /** Standard normal (Box-Muller). */
    NORMAL
}
