package dev.kiln.bench;

/**
 * One measured line of the report: a kernel on a backend in a math mode ({@code precision}: fp32,
 * tf32, bf16). {@code result} is null when the row failed, and then {@code error} says why.
 */
public record Row(String backend, String precision, String kernel, String name, String geometry, int batch, double flops,
        Sampler.Result result, String error) {

    public static final String FP32 = dev.kiln.spi.BackendProvider.FP32;

    public static Row failed(String backend, String precision, String kernel, String name, String geometry, int batch, double flops,
            String error) {
        return new Row(backend, precision, kernel, name, geometry, batch, flops, null, error);
    }

    /** The backend as charts and peaks name it: {@code cuda:0}, or {@code cuda:0@tf32} in another mode than fp32. */
    public String series() { return seriesName(backend, precision); }

    public static String seriesName(String backend, String precision) {
        return precision.equals(FP32) ? backend : backend + "@" + precision;
    }

    public boolean ok() { return result != null; }

    /** Rows of the same work on different backends share this key. */
    public String key() { return kernel + "/" + name + "/" + batch; }

    public double medianSeconds() { return ok() ? result.stats().median() : Double.NaN; }

    /** Images or sequences per second (models); NaN for single kernels. */
    public double itemsPerSecond() { return ok() && (kernel.equals("model") || kernel.equals("train")) ? batch / result.stats().median() : Double.NaN; }

    public double gflops() { return ok() ? flops / result.stats().median() * 1e-9 : Double.NaN; }
}
