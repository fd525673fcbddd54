package dev.kiln.bench;

/** A one-line progress bar on the terminal (stderr); silent when output goes to a file or CI log. */
final class Progress {
    private static final int BAR = 24;
    private final int total;
    private final boolean terminal;
    private int started;
    private int lastLength;

    Progress(int total) {
        this.total = total;
        java.io.Console console = System.console();
        this.terminal = console != null && console.isTerminal();
    }

    void start(String label) {
        started++;
        if (!terminal) return;
        int filled = total == 0 ? BAR : (started - 1) * BAR / total;
        String line = String.format("[%s%s] %d/%d %s", "#".repeat(filled), ".".repeat(BAR - filled), started, total, label);
        System.err.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
        System.err.flush();
        lastLength = line.length();
    }

    void clear() {
        if (!terminal || lastLength == 0) return;
        System.err.print("\r" + " ".repeat(lastLength) + "\r");
        System.err.flush();
        lastLength = 0;
    }

    void done() { clear(); }
}
