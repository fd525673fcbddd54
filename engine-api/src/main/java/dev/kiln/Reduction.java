package dev.kiln;

/** How a loss reduces over the batch, as PyTorch's {@code reduction=}. */
public enum Reduction { NONE, SUM, MEAN }
