package dev.kiln.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/** The report's PNG charts: GEMM GFLOP/s against size, and model throughput per backend. */
final class Charts {
    private Charts() {}

    /** Writes the charts that have data next to {@code base} (bench-DATE): returns the files written. */
    static List<Path> write(List<Row> rows, Path base) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Path> written = new ArrayList<>();
        XYChart gemm = gemmChart(rows);
        if (gemm != null) written.add(save(gemm, base, "-gemm.png"));
        CategoryChart models = modelChart(rows);
        if (models != null) written.add(save(models, base, "-models.png"));
        return written;
    }

    private static Path save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path base, String suffix) throws IOException {
        Path file = Path.of(base + suffix);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }

    private static XYChart gemmChart(List<Row> rows) {
        List<Row> gemm = rows.stream().filter(r -> r.ok() && r.kernel().equals("gemm")).toList();
        if (gemm.isEmpty()) return null;
        XYChart chart = new XYChartBuilder().width(900).height(560).title("Square SGEMM")
                .xAxisTitle("n (n x n x n)").yAxisTitle("GFLOP/s").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setYAxisMin(0.0);
        for (String backend : backends(gemm)) {
            List<Row> mine = gemm.stream().filter(r -> r.series().equals(backend)).toList();
            List<Double> sizes = mine.stream().map(r -> Double.valueOf(r.name().replaceAll("\\D", ""))).toList();
            List<Double> rates = mine.stream().map(Row::gflops).toList();
            chart.addSeries(backend, sizes, rates);
        }
        return chart;
    }

    private static CategoryChart modelChart(List<Row> rows) {
        List<Row> models = rows.stream().filter(r -> r.ok() && r.kernel().equals("model")).toList();
        if (models.isEmpty()) return null;
        CategoryChart chart = new CategoryChartBuilder().width(900).height(560).title("Model inference throughput")
                .xAxisTitle("model, batch").yAxisTitle("images or sequences / s").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        // Throughputs span decades (LeNet-5 against VGG): a log axis, floored at the decade below the smallest.
        double smallest = models.stream().mapToDouble(Row::itemsPerSecond).min().orElse(1);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(smallest))));
        Set<String> labels = new LinkedHashSet<>();
        for (Row r : models) labels.add(label(r));
        List<String> categories = List.copyOf(labels);
        for (String backend : backends(models)) {
            List<Double> values = new ArrayList<>();
            for (String c : categories) {
                values.add(models.stream().filter(r -> r.series().equals(backend) && label(r).equals(c)).findFirst()
                        .map(Row::itemsPerSecond).orElse(null));   // a gap where a backend has no result
            }
            chart.addSeries(backend, categories, values);
        }
        return chart;
    }

    private static String label(Row r) { return r.name() + " b" + r.batch(); }

    /** One series per backend and precision: {@code cuda:0}, {@code cuda:0@tf32}. */
    private static Set<String> backends(List<Row> rows) {
        Set<String> out = new LinkedHashSet<>();
        for (Row r : rows) out.add(r.series());
        return out;
    }
}
