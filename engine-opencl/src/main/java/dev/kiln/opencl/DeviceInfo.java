package dev.kiln.opencl;

import java.util.Set;

/**
 * What the backend needs to know about one OpenCL device, read once at discovery.
 * {@code floatVectorWidth} is CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT (8 on AVX CPUs under PoCL).
 */
record DeviceInfo(long platform, long device, String platformName, String name, String vendor,
                  String version, String driverVersion, boolean gpu, long globalMemBytes,
                  long maxAllocBytes, long maxWorkGroupSize, long localMemBytes, int computeUnits,
                  int floatVectorWidth, Set<String> extensions) {

    boolean hasExtension(String ext) { return extensions.contains(ext); }

    String typeName() { return gpu ? "GPU" : "CPU"; }

    String describe() {
        return name + " (" + typeName() + ", " + vendor + ", " + computeUnits + " compute units, "
                + (globalMemBytes >> 20) + " MiB, " + version + ", driver " + driverVersion + ", platform "
                + platformName + ")";
    }
}
