/**
 * Spec values of GPUBufferUsage, GPUMapMode and GPUShaderStage, so the
 * backend needs no globals (Dawn's Node package installs them only on request).
 */
export const USAGE = {
  MAP_READ: 0x1,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  UNIFORM: 0x40,
  STORAGE: 0x80,
} as const;

/** GPUMapMode.READ. */
export const MAP_READ = 0x1;

/** GPUShaderStage.COMPUTE. */
export const STAGE_COMPUTE = 0x4;
