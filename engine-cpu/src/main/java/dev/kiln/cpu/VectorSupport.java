package dev.kiln.cpu;

/**
 * Chooses between the Vector API kernels and the scalar ones. The vector classes are loaded by name
 * only when the {@code jdk.incubator.vector} module is in the boot layer (it is when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}), so nothing links against a missing module. Without it
 * the backend works the same, slower, and says so once in the log.
 */
final class VectorSupport {
    static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !"false".equalsIgnoreCase(System.getProperty("kiln.cpu.vector"));

    static {
        if (!AVAILABLE) {
            System.getLogger("dev.kiln.cpu").log(System.Logger.Level.WARNING,
                    "kiln cpu: module jdk.incubator.vector is not available (run the JVM with --add-modules "
                            + "jdk.incubator.vector); using scalar loops, which are several times slower");
        }
    }

    private VectorSupport() {}

    static F32Kernels f32Kernels(boolean vector) {
        return vector && AVAILABLE ? (F32Kernels) load("dev.kiln.cpu.VectorF32Kernels") : ScalarF32Kernels.INSTANCE;
    }

    static GemmKernel gemmKernel(boolean vector) {
        return vector && AVAILABLE ? (GemmKernel) load("dev.kiln.cpu.VectorGemmKernel") : new ScalarGemmKernel();
    }

    static RnnKernels rnnKernels(boolean vector) {
        return vector && AVAILABLE ? (RnnKernels) load("dev.kiln.cpu.VectorRnnKernels") : ScalarRnnKernels.INSTANCE;
    }

    static AttentionTiles attentionTiles(boolean vector) {
        return vector && AVAILABLE ? (AttentionTiles) load("dev.kiln.cpu.VectorAttentionTiles") : ScalarAttentionTiles.INSTANCE;
    }

    /**
     * A copy, so the choice never changes bits: it follows the module, not a backend's vector flag.
     * {@code -Dkiln.cpu.gemm.gather=false} keeps the scalar order, to measure one against the other.
     */
    static RowInterleave rowInterleave() {
        return AVAILABLE && !"false".equalsIgnoreCase(System.getProperty("kiln.cpu.gemm.gather")) ? (RowInterleave) load("dev.kiln.cpu.VectorRowInterleave") : new RowInterleave();
    }

    private static Object load(String name) {
        try {
            return Class.forName(name).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("kiln cpu: cannot load " + name, e);
        }
    }
}
