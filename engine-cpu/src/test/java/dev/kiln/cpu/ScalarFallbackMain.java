package dev.kiln.cpu;

import dev.kiln.Device;
import dev.kiln.Kiln;
import dev.kiln.Tensor;

/**
 * Run in a child JVM without {@code --add-modules jdk.incubator.vector} by {@link MemoryAndApiTest}:
 * the backend must work on scalar loops and say so once.
 */
public final class ScalarFallbackMain {
    private ScalarFallbackMain() {}

    public static void main(String[] args) {
        Device cpu = Kiln.device("cpu");
        try (Tensor a = cpu.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
             Tensor b = cpu.fromArray(new float[] {1, 0, 0, 1, 1, 1}, 3, 2);
             Tensor c = a.matmul(b);
             Tensor d = a.exp().sum(1)) {
            float[] m = c.toFloatArray(), s = d.toFloatArray();
            boolean ok = m[0] == 4 && m[1] == 5 && m[2] == 10 && m[3] == 11
                    && Math.abs(s[0] - (Math.exp(1) + Math.exp(2) + Math.exp(3))) < 1e-4;
            System.out.println((ok ? "OK " : "WRONG ") + cpu.description());
        }
    }
}
