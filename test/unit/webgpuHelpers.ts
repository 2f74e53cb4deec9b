import { GpuContext, openGpu } from '../../src/core/train/webgpu/device';
import { Dispatch, Kernels, encodeDispatches } from '../../src/core/train/webgpu/kernels';
import { Random } from '../../src/core/random';

export { relativeError } from '../../src/cli/gradientCheck';

/** The software adapter on CPU-only machines, a GPU where there is one. */
export const openTestGpu = (): Promise<GpuContext> => openGpu({ allowSoftware: true });

/** Runs `dispatches` in one submit and reads `reads` back as floats. */
export async function runAndRead(kernels: Kernels, dispatches: Dispatch[], reads: GPUBuffer[]): Promise<Float32Array[]> {
  const { device } = kernels;
  const encoder = device.createCommandEncoder();
  encodeDispatches(encoder, dispatches);
  const staging = reads.map((b) => {
    const s = device.createBuffer({ size: b.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.copyBufferToBuffer(b, 0, s, 0, b.size);
    return s;
  });
  device.queue.submit([encoder.finish()]);
  return Promise.all(
    staging.map(async (s) => {
      await s.mapAsync(GPUMapMode.READ);
      const out = new Float32Array(s.getMappedRange().slice(0));
      s.destroy();
      return out;
    }),
  );
}

export function randomArray(rng: Random, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(-scale, scale));
}
