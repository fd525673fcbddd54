package dev.kiln.cuda.kit;

import dev.kiln.tck.ShapeOpsTestCase;

/** The conformance kit's ShapeOps cases on the CUDA backend (skipped, with the reason, where no GPU is present). */
class CudaShapeOpsTest extends ShapeOpsTestCase {
    @Override protected String deviceName() { return "cuda"; }
}
