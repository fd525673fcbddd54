// Block-wide float reductions (warp shuffles, then one warp over the per-warp partials).
#pragma once
#include "kiln_common.cuh"

#define KILN_BLOCK_THREADS 256

__device__ __forceinline__ float kiln_warp_sum(float v) {
    for (int s = 16; s > 0; s >>= 1) v += __shfl_xor_sync(0xffffffffu, v, s);
    return v;
}

// NaN-propagating maximum, so a NaN anywhere in a row reaches every output of the row.
__device__ __forceinline__ float kiln_nan_max(float a, float b) { return a != a ? a : (b != b ? b : (a > b ? a : b)); }

__device__ __forceinline__ float kiln_warp_max(float v) {
    for (int s = 16; s > 0; s >>= 1) v = kiln_nan_max(v, __shfl_xor_sync(0xffffffffu, v, s));
    return v;
}

// Every thread of the block gets the result. `scratch` holds 32 floats; blockDim.x is a multiple of 32.
__device__ __forceinline__ float kiln_block_sum(float v, float* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = kiln_warp_sum(v);
    __syncthreads();   // scratch may still be read from a previous call
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : 0.f;
    return kiln_warp_sum(v);
}

__device__ __forceinline__ float kiln_block_max(float v, float* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = kiln_warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : -KILN_INF_F;
    return kiln_warp_max(v);
}
