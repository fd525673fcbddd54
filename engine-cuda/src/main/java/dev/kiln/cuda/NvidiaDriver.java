package dev.kiln.cuda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The NVIDIA driver's release number (e.g. {@code 575.57.08}). The driver API only tells the CUDA
 * version it implements; the release is what nvidia-smi shows and what bug reports need, and the
 * kernel module states it in {@code /proc/driver/nvidia/version}.
 */
final class NvidiaDriver {
    static final Path VERSION_FILE = Path.of("/proc/driver/nvidia/version");
    /** The first dotted number of three or more leading digits on the NVRM line. */
    private static final Pattern RELEASE = Pattern.compile("NVRM version:.*?\\s(\\d{3,}\\.\\d+(?:\\.\\d+)?)\\s");

    private NvidiaDriver() {}

    /** The release, or empty where the file is absent (not Linux, a container without it). */
    static Optional<String> release() {
        try {
            return parse(Files.readString(VERSION_FILE));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static Optional<String> parse(String versionFile) {
        Matcher m = RELEASE.matcher(versionFile + " ");
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
