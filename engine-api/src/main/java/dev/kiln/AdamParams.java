package dev.kiln;

/** {@code torch.optim.Adam} ({@code decoupled = false}) and {@code AdamW} ({@code decoupled = true}). */
public record AdamParams(double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {}
