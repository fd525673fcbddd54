package dev.kiln.cuda;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/** JCuda's device pointer with its address readable, so it can cross to FFM calls as a plain address. */
final class DevicePointer extends CUdeviceptr {
    long address() { return getNativePointer(); }

    /** A stream whose address cuBLAS and cuDNN can take. */
    static final class Stream extends CUstream {
        long address() { return getNativePointer(); }
    }
}
