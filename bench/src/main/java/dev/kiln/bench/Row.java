package dev.kiln.bench;

/**
 * One measured line of the report: a kernel on a backend. {@code result} is null when the row
 * failed, and then {@code error} says why.
 */
public record Row(String backend, String kernel, String name, String geometry, int batch, double flops,
        Sampler.Result result, String error) {

    public static Row failed(String backend, String kernel, String name, String geometry, int batch, double flops, String error) {
        return new Row(backend, kernel, name, geometry, batch, flops, null, error);
    }

    public boolean ok() { return result != null; }

    /** Rows of the same work on different backends share this key. */
    public String key() { return kernel + "/" + name + "/" + batch; }

    public double medianSeconds() { return ok() ? result.stats().median() : Double.NaN; }

    /** Images or sequences per second (models); NaN for single kernels. */
    public double itemsPerSecond() { return ok() && (kernel.equals("model") || kernel.equals("train")) ? batch / result.stats().median() : Double.NaN; }

    public double gflops() { return ok() ? flops / result.stats().median() * 1e-9 : Double.NaN; }
}
