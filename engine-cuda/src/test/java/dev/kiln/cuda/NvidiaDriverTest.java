package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The driver release and the library version numbers, as the bench report's machine section writes them. */
class NvidiaDriverTest {
    @Test
    void readsTheReleaseOfTheProprietaryAndTheOpenKernelModule() {
        assertEquals(Optional.of("535.129.03"), NvidiaDriver.parse(
                "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.129.03  Thu Oct 19 18:56:32 UTC 2023\n"
                        + "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n"));
        assertEquals(Optional.of("575.57.08"), NvidiaDriver.parse(
                "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  575.57.08  Release Build  (dvs-builder@U16-I3-B03-4-3)  Wed May 21 2025\n"));
        assertEquals(Optional.of("580.65"), NvidiaDriver.parse("NVRM version: NVIDIA UNIX aarch64 Kernel Module  580.65\n"));
    }

    @Test
    void nothingWhereTheFileSaysNoRelease() {
        assertEquals(Optional.empty(), NvidiaDriver.parse(""));
        assertEquals(Optional.empty(), NvidiaDriver.parse("GCC version:  gcc version 12.2.0\n"));
    }

    @Test
    void versionNumbersAsTheLibrariesEncodeThem() {
        assertEquals("13.0", CudaBackend.version(13000));
        assertEquals("12.9", CudaBackend.version(12090));
        assertEquals("13.1.0", CudaBackend.cublasVersion(130100));
        assertEquals("12.9.1", CudaBackend.cublasVersion(120901));
        assertEquals("9.19.0", CudaBackend.cudnnVersion(91900));
    }
}
