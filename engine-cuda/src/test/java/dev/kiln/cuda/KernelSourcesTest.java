package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.ReduceOp;
import dev.kiln.spi.UnaryOp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelSourcesTest {
    @TempDir Path tmp;

    @Test
    void everyProgramAndHeaderIsOnTheClassPath() {
        for (String p : KernelSources.PROGRAMS) {
            String src = KernelSources.read(p);
            assertTrue(src.contains("#include \"kiln_common.cuh\""), p);
            assertTrue(src.contains("extern \"C\" __global__"), p);
        }
        assertTrue(KernelSources.headers().get("kiln_common.cuh").contains("struct KView"));
    }

    /** Every .cu file of native-kernels is a program the backend knows (and so is compiled and checked). */
    @Test
    void everySourceFileIsAKnownProgram() throws IOException {
        Path dir = Path.of("..", "native-kernels", "src", "main", "resources", "kernels", "cuda");
        assumeTrue(Files.isDirectory(dir), "native-kernels sources not beside this module");
        try (var files = Files.list(dir)) {
            List<String> cu = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cu")).sorted().toList();
            assertEquals(KernelSources.PROGRAMS.stream().sorted().toList(), cu);
        }
        try (var files = Files.list(dir)) {
            List<String> headers = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cuh")).sorted().toList();
            assertEquals(KernelSources.HEADERS.stream().sorted().toList(), headers);
        }
    }

    @Test
    void everyKernelNameHasAProgram() {
        List<String> names = KernelSources.kernelNames();
        assertEquals(5 * 2 + 25 * 4 + 5 * 4 + 2 + 6 + 3 + 6 + 4 + 5, names.size());
        for (String n : names) assertTrue(KernelSources.PROGRAMS.contains(KernelSources.programOf(n)), n);
    }

    /** The op numbers of OpCodes are the positions in the C enums (U_COPY = 0, U_NEG, ...). */
    @Test
    void opCodesMatchTheKernelEnums() {
        List<String> unary = enumNames(KernelSources.read("elementwise.cu"), "U_");
        for (UnaryOp op : UnaryOp.values()) assertEquals(unary.indexOf("U_" + op.name()), OpCodes.unary(op), op.name());
        assertEquals(UnaryOp.values().length, unary.size());
        List<String> binary = enumNames(KernelSources.read("elementwise.cu"), "B_");
        for (BinaryOp op : BinaryOp.values()) assertEquals(binary.indexOf("B_" + op.name()), OpCodes.binary(op), op.name());
        assertEquals(BinaryOp.values().length, binary.size());
        List<String> reduce = enumNames(KernelSources.read("reduce.cu"), "R_");
        for (ReduceOp op : ReduceOp.values()) assertEquals(reduce.indexOf("R_" + op.name()), OpCodes.reduce(op), op.name());
        assertEquals(ReduceOp.values().length, reduce.size());
    }

    /** The names of the anonymous enum whose constants start with {@code prefix}, in order. */
    private static List<String> enumNames(String source, String prefix) {
        Matcher m = Pattern.compile("enum\\s*\\{([^}]*)\\}").matcher(source);
        while (m.find()) {
            List<String> names = new ArrayList<>();
            for (String part : m.group(1).split(",")) {
                String name = part.trim().split("\\s|=")[0];
                if (!name.isEmpty()) names.add(name);
            }
            if (!names.isEmpty() && names.get(0).startsWith(prefix)) return names;
        }
        throw new AssertionError("no enum of " + prefix + " constants");
    }

    /**
     * Every kernel name has a PTX entry: read from the PTX the native-kernels build made with nvcc, or, when
     * this module is built alone, compiled here (no system headers needed, as under NVRTC).
     */
    @Test
    void nvccCompilesEveryProgramWithEveryKernel() throws Exception {
        Path built = Path.of("..", "native-kernels", "target", "ptx", "sm_80");
        if (KernelSources.PROGRAMS.stream().allMatch(p -> Files.isRegularFile(built.resolve(p.replace(".cu", ".ptx"))))) {
            StringBuilder ptx = new StringBuilder();
            for (String p : KernelSources.PROGRAMS) ptx.append(Files.readString(built.resolve(p.replace(".cu", ".ptx"))));
            assertEntries(ptx);
            return;
        }
        Optional<Path> nvcc = findNvcc();
        assumeTrue(nvcc.isPresent(), "nvcc not found in /usr/local/cuda/bin, /usr/local/bin or PATH");
        for (var h : KernelSources.headers().entrySet()) Files.writeString(tmp.resolve(h.getKey()), h.getValue());
        StringBuilder ptx = new StringBuilder();
        for (String p : KernelSources.PROGRAMS) {
            Files.writeString(tmp.resolve(p), KernelSources.read(p));
            Path out = tmp.resolve(p + ".ptx");
            Process proc = new ProcessBuilder(nvcc.get().toString(), "-ptx", "-arch=sm_80", "-I" + tmp, "-o", out.toString(),
                    tmp.resolve(p).toString()).redirectErrorStream(true).start();
            String log = new String(proc.getInputStream().readAllBytes());
            assertTrue(proc.waitFor(300, TimeUnit.SECONDS), "nvcc timed out on " + p);
            assertEquals(0, proc.exitValue(), p + ": " + log);
            ptx.append(Files.readString(out));
        }
        assertEntries(ptx);
    }

    private static void assertEntries(CharSequence ptx) {
        for (String name : KernelSources.kernelNames()) {
            assertTrue(Pattern.compile("\\.entry\\s+" + name + "\\(").matcher(ptx).find(), "no PTX entry " + name);
        }
    }

    static Optional<Path> findNvcc() throws IOException {
        for (String p : List.of("/usr/local/cuda/bin/nvcc", "/usr/local/bin/nvcc")) {
            if (Files.isExecutable(Path.of(p))) return Optional.of(Path.of(p));
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(":")) {
                Path p = Path.of(d, "nvcc");
                if (Files.isExecutable(p)) return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
