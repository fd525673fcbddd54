package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LibraryLocatorTest {
    @TempDir Path tmp;

    @Test
    void searchOrderIsPropertyThenCudaHomeThenDefaultThenPython() throws IOException {
        Path venv = tmp.resolve("venv");
        Path cublasLib = Files.createDirectories(venv.resolve("lib/python3.12/site-packages/nvidia/cublas/lib"));
        Path cu13Lib = Files.createDirectories(venv.resolve("lib/python3.12/site-packages/nvidia/cu13/lib"));
        Files.createDirectories(venv.resolve("lib/python3.12/site-packages/nvidia/nolib"));
        List<Path> dirs = LibraryLocator.searchDirectories(
                Map.of("CUDA_HOME", "/opt/cuda-x", "VIRTUAL_ENV", venv.toString()), "/a:/b", tmp.resolve("home"));
        assertEquals(List.of(Path.of("/a"), Path.of("/b"), Path.of("/opt/cuda-x/lib64"), Path.of("/opt/cuda-x/lib"),
                Path.of("/usr/local/cuda/lib64")), dirs.subList(0, 5));
        assertTrue(dirs.indexOf(cublasLib) > 4, dirs.toString());
        assertTrue(dirs.indexOf(cu13Lib) > 4, dirs.toString());
        assertTrue(dirs.stream().noneMatch(d -> d.toString().contains("nolib")), dirs.toString());
    }

    @Test
    void newerSonameWinsAcrossDirectories() throws IOException {
        Path d1 = Files.createDirectories(tmp.resolve("d1")), d2 = Files.createDirectories(tmp.resolve("d2"));
        Files.createFile(d1.resolve("libcublas.so.12"));
        Files.createFile(d2.resolve("libcublas.so.13"));
        LibraryLocator locator = new LibraryLocator(List.of(d1, d2));
        assertEquals(Optional.of(d2.resolve("libcublas.so.13")), locator.find(Cublas.SONAMES));
        assertEquals(Optional.empty(), locator.find(List.of("libcudnn.so.9")));
    }

    @Test
    void missingLibraryMessageSaysWhatWasLookedForWhere() {
        LibraryLocator locator = new LibraryLocator(List.of(tmp.resolve("nothing-here")));
        LibraryNotFoundException e = assertThrows(LibraryNotFoundException.class,
                () -> locator.load("cuBLAS", List.of("libkiln-absent.so.13", "libkiln-absent.so.12"), Arena.ofAuto()));
        assertEquals("cuBLAS not found: looked for libkiln-absent.so.13, libkiln-absent.so.12 in " + tmp.resolve("nothing-here")
                + ", and the system library path (set -Dkiln.cuda.libraryPath=DIR or CUDA_HOME)", e.getMessage());
    }

    @Test
    void loadsAFileFoundInADirectory() throws IOException {
        // a real shared library under a CUDA-like soname: the JDK's libzip
        Path lib = Path.of(System.getProperty("java.home"), "lib", "libzip.so");
        Path dir = Files.createDirectories(tmp.resolve("lib64"));
        Files.createSymbolicLink(dir.resolve("libkilntest.so.13"), lib);
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup lookup = new LibraryLocator(List.of(dir)).load("test library", List.of("libkilntest.so.13"), arena);
            assertNotNull(lookup);
        }
    }

    @Test
    void unloadableFileIsReported() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("broken"));
        Files.writeString(dir.resolve("libkiln-broken.so.9"), "not an ELF file");
        LibraryNotFoundException e = assertThrows(LibraryNotFoundException.class,
                () -> new LibraryLocator(List.of(dir)).load("cuDNN", List.of("libkiln-broken.so.9"), Arena.ofAuto()));
        assertTrue(e.getMessage().contains("could not load " + dir.resolve("libkiln-broken.so.9")), e.getMessage());
    }
}
