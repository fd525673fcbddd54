package dev.kiln.cuda;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds CUDA's shared libraries by soname in the places users have them: the {@code kiln.cuda.libraryPath}
 * property, {@code $CUDA_HOME/lib64}, {@code /usr/local/cuda/lib64}, the {@code nvidia/*}{@code /lib} folders
 * of Python environments, and finally the dynamic linker's own search path.
 */
public final class LibraryLocator {
    public static final String PATH_PROPERTY = "kiln.cuda.libraryPath";

    private final List<Path> directories;

    public LibraryLocator(List<Path> directories) { this.directories = List.copyOf(directories); }

    /** The directories of this process: system properties and environment. */
    public static LibraryLocator forThisProcess() {
        return new LibraryLocator(searchDirectories(System.getenv(), System.getProperty(PATH_PROPERTY),
                Path.of(System.getProperty("user.home", "/root"))));
    }

    public List<Path> directories() { return directories; }

    /** The search order: the property (a path list), CUDA_HOME, CUDA_PATH, /usr/local/cuda, Python environments. */
    static List<Path> searchDirectories(Map<String, String> env, String propertyValue, Path home) {
        LinkedHashSet<Path> dirs = new LinkedHashSet<>();
        if (propertyValue != null && !propertyValue.isBlank()) {
            for (String p : propertyValue.split(java.io.File.pathSeparator)) if (!p.isBlank()) dirs.add(Path.of(p.trim()));
        }
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String v = env.get(var);
            if (v != null && !v.isBlank()) {
                dirs.add(Path.of(v, "lib64"));
                dirs.add(Path.of(v, "lib"));
            }
        }
        dirs.add(Path.of("/usr/local/cuda/lib64"));
        List<Path> pythonRoots = new ArrayList<>();
        for (String var : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String v = env.get(var);
            if (v != null && !v.isBlank()) pythonRoots.add(Path.of(v, "lib"));
        }
        pythonRoots.add(home.resolve(".local/lib"));
        pythonRoots.add(Path.of("/usr/local/lib"));
        pythonRoots.add(Path.of("/usr/lib"));
        pythonRoots.add(Path.of("/opt/conda/lib"));
        for (Path root : pythonRoots) dirs.addAll(nvidiaLibraryDirs(root));
        return List.copyOf(dirs);
    }

    /** {@code root/python3.X/{site,dist}-packages/nvidia/NAME/lib}, as pip's nvidia-* wheels install them. */
    static List<Path> nvidiaLibraryDirs(Path root) {
        List<Path> out = new ArrayList<>();
        for (Path python : list(root, "python3*")) {
            for (String packages : List.of("site-packages", "dist-packages")) {
                for (Path pkg : list(python.resolve(packages).resolve("nvidia"), "*")) {
                    Path lib = pkg.resolve("lib");
                    if (Files.isDirectory(lib)) out.add(lib);
                }
            }
        }
        return out;
    }

    private static List<Path> list(Path dir, String glob) {
        if (!Files.isDirectory(dir)) return List.of();
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, glob)) {
            for (Path p : s) out.add(p);
        } catch (IOException | SecurityException e) {
            return List.of();
        }
        out.sort(null);
        return out;
    }

    /** The first file named by one of {@code sonames} (in preference order) in the directories. */
    public Optional<Path> find(List<String> sonames) {
        for (String soname : sonames) {
            for (Path dir : directories) {
                Path p = dir.resolve(soname);
                if (Files.isRegularFile(p)) return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * Loads the library into {@code arena}: a file found in the directories, else the dynamic linker's
     * search by soname. Throws {@link LibraryNotFoundException} saying what was looked for where.
     */
    public SymbolLookup load(String what, List<String> sonames, Arena arena) {
        Optional<Path> file = find(sonames);
        List<String> failures = new ArrayList<>();
        if (file.isPresent()) {
            try {
                return SymbolLookup.libraryLookup(file.get(), arena);
            } catch (IllegalArgumentException e) {
                failures.add(file.get() + ": " + e.getMessage());
            }
        }
        for (String soname : sonames) {
            try {
                return SymbolLookup.libraryLookup(soname, arena);
            } catch (IllegalArgumentException e) {
                // not on the linker's path either; the message below lists every place tried
            }
        }
        throw new LibraryNotFoundException(missingMessage(what, sonames, directories, failures));
    }

    /**
     * Loads the libraries that {@code soname}'s file needs from its own folder first (for example
     * libcublasLt next to libcublas), so the dynamic linker finds them even when that folder is not on
     * its search path. Names that are not there are skipped.
     */
    public void preloadBeside(List<String> sonames, List<String> companions, Arena arena) {
        Optional<Path> file = find(sonames);
        if (file.isEmpty()) return;
        Path dir = file.get().getParent();
        for (String glob : companions) {
            for (Path p : list(dir, glob)) {
                try {
                    SymbolLookup.libraryLookup(p, arena);
                } catch (IllegalArgumentException e) {
                    // the main library's own load reports what is missing
                }
            }
        }
    }

    static String missingMessage(String what, List<String> sonames, List<Path> dirs, List<String> failures) {
        StringBuilder sb = new StringBuilder(what).append(" not found: looked for ").append(String.join(", ", sonames))
                .append(" in ");
        for (Path d : dirs) sb.append(d).append(", ");
        sb.append("and the system library path (set -D").append(PATH_PROPERTY).append("=DIR or CUDA_HOME)");
        if (!failures.isEmpty()) sb.append("; could not load ").append(String.join("; ", failures));
        return sb.toString();
    }
}
