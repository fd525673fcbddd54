package dev.kiln;

/** Gradients of a normalization: input, and weight and bias (null when the layer has none). */
public record NormGrads(Tensor input, Tensor weight, Tensor bias) implements AutoCloseable {
    @Override public void close() { input.close(); if (weight != null) weight.close(); if (bias != null) bias.close(); }
}
