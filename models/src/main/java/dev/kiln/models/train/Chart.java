package dev.kiln.models.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/** A PNG of a run's loss (left axis) and accuracy (right axis) per epoch, drawn with Java2D. */
final class Chart {
    private static final int W = 800, H = 480, LEFT = 70, RIGHT = 70, TOP = 50, BOTTOM = 60;
    private static final Color TRAIN = new Color(0x1f77b4), TEST = new Color(0xff7f0e), ACCURACY = new Color(0x2ca02c);

    private Chart() {}

    static void write(Path file, String title, History history) {
        System.setProperty("java.awt.headless", "true");
        List<History.Epoch> epochs = history.epochs();
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, W, H);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.setColor(Color.BLACK);
            g.drawString(title, LEFT, 25);
            int x0 = LEFT, x1 = W - RIGHT, y0 = H - BOTTOM, y1 = TOP;
            g.drawRect(x0, y1, x1 - x0, y0 - y1);
            double maxLoss = 0;
            for (History.Epoch e : epochs) maxLoss = Math.max(maxLoss, Math.max(finite(e.trainLoss()), finite(e.testLoss())));
            maxLoss = maxLoss == 0 ? 1 : maxLoss * 1.15; // headroom above the highest point for the legend
            int n = Math.max(epochs.size(), 1);
            int firstEpoch = epochs.isEmpty() ? 1 : epochs.getFirst().epoch();
            for (int i = 0; i < n; i++) {
                int x = xAt(i, n, x0, x1);
                g.setColor(Color.LIGHT_GRAY);
                g.drawLine(x, y0, x, y1);
                g.setColor(Color.BLACK);
                g.drawString(Integer.toString(firstEpoch + i), x - 4, y0 + 15);
            }
            for (int k = 0; k <= 4; k++) {
                int y = y0 - (y0 - y1) * k / 4;
                g.setColor(Color.BLACK);
                g.drawString(String.format(Locale.ROOT, "%.3f", maxLoss * k / 4), 10, y + 4);
                g.drawString(String.format(Locale.ROOT, "%.0f%%", 100.0 * k / 4), x1 + 8, y + 4);
            }
            g.drawString("epoch", (x0 + x1) / 2 - 15, H - 20);
            line(g, epochs, History.Epoch::trainLoss, maxLoss, TRAIN, x0, x1, y0, y1);
            line(g, epochs, History.Epoch::testLoss, maxLoss, TEST, x0, x1, y0, y1);
            line(g, epochs, History.Epoch::testAccuracy, 1, ACCURACY, x0, x1, y0, y1);
            legend(g, x0 + 10, y1 + 15, TRAIN, "training loss");
            legend(g, x0 + 160, y1 + 15, TEST, "test loss");
            legend(g, x0 + 280, y1 + 15, ACCURACY, "test accuracy (right axis)");
        } finally {
            g.dispose();
        }
        try {
            if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the chart " + file + ": " + e.getMessage(), e);
        }
    }

    private static double finite(double v) { return Double.isFinite(v) ? v : 0; }

    private static int xAt(int i, int n, int x0, int x1) { return n == 1 ? (x0 + x1) / 2 : x0 + 20 + (x1 - x0 - 40) * i / (n - 1); }

    private static void line(Graphics2D g, List<History.Epoch> epochs, ToDoubleFunction<History.Epoch> value, double max, Color c,
                             int x0, int x1, int y0, int y1) {
        g.setColor(c);
        g.setStroke(new BasicStroke(2));
        int n = epochs.size();
        int px = -1, py = -1;
        for (int i = 0; i < n; i++) {
            double v = value.applyAsDouble(epochs.get(i));
            if (!Double.isFinite(v)) {
                px = -1;
                continue;
            }
            int x = xAt(i, n, x0, x1), y = (int) Math.round(y0 - (y0 - y1) * Math.min(v / max, 1));
            g.fillOval(x - 3, y - 3, 6, 6);
            if (px >= 0) g.drawLine(px, py, x, y);
            px = x;
            py = y;
        }
        g.setStroke(new BasicStroke(1));
    }

    private static void legend(Graphics2D g, int x, int y, Color c, String label) {
        g.setColor(c);
        g.fillRect(x, y - 8, 12, 8);
        g.setColor(Color.BLACK);
        g.drawString(label, x + 16, y);
    }
}
