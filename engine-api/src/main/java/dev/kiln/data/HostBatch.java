package dev.kiln.data;

/** Inputs and targets of one batch on the host, as a {@link Dataset} assembles them (off the training thread). */
public record HostBatch(HostArray input, HostArray target, int size) {}
