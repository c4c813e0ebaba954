/**
 * The `unit-nosimd` project runs the wasm and fused-kernel tests a second time with Tim's SIMD
 * kernels off, so the JavaScript loops they fall back to are tested too. The setting is read once
 * per wasm heap, and every test file starts a fresh backend, so it must be set before any loads.
 */
process.env.TIM_WASM_SIMD = '0';
