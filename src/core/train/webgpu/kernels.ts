import { WgslCompileError } from './webGpuError';

/** One recorded compute dispatch: built once (pipeline, bind group, grid), replayed every step. */
export interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
}

/** A uniform struct's fields: u32s first, then f32s (the WGSL structs follow that order). */
export function uniformWords(u32: number[], f32: number[] = []): ArrayBuffer {
  const data = new ArrayBuffer(Math.max(16, Math.ceil((u32.length + f32.length) / 4) * 16));
  new Uint32Array(data).set(u32.map((v) => v >>> 0));
  new Float32Array(data).set(f32, u32.length);
  return data;
}

/**
 * Compiles and caches the pipelines of one device, creates the small static
 * uniform buffers each dispatch carries, and owns them for destruction.
 */
export class Kernels {
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private readonly owned: GPUBuffer[] = [];

  constructor(readonly device: GPUDevice) {}

  pipeline(name: string, code: string): Promise<GPUComputePipeline> {
    let p = this.pipelines.get(code);
    if (!p) {
      p = this.compile(name, code);
      this.pipelines.set(code, p);
    }
    return p;
  }

  private async compile(name: string, code: string): Promise<GPUComputePipeline> {
    const { device } = this;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label: name, code });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    const scoped = await device.popErrorScope();
    if (errors.length) throw new WgslCompileError(name, errors.map((m) => `line ${m.lineNum}:${m.linePos}: ${m.message}`).join('; '));
    if (scoped) throw new WgslCompileError(name, scoped.message);
    try {
      return await device.createComputePipelineAsync({ label: name, layout: 'auto', compute: { module, entryPoint: 'main' } });
    } catch (err) {
      throw new WgslCompileError(name, (err as Error).message);
    }
  }

  /** A buffer this object destroys with the rest; sizes are rounded up to 256 bytes so any vec4 view of it is whole. */
  private buffer(label: string, bytes: number, usage: number): GPUBuffer {
    const buffer = this.device.createBuffer({ label, size: Math.max(256, Math.ceil(bytes / 256) * 256), usage });
    this.owned.push(buffer);
    return buffer;
  }

  storage(label: string, floats: number): GPUBuffer {
    return this.buffer(label, floats * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
  }

  uniform(label: string, data: ArrayBuffer): GPUBuffer {
    const buffer = this.buffer(label, data.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.write(buffer, data);
    return buffer;
  }

  /** Queues an upload of `data` to `buffer` from float `at` on (ordered before the next submit). */
  write(buffer: GPUBuffer, data: Float32Array | Int32Array | ArrayBuffer, at = 0): void {
    if (data instanceof ArrayBuffer) this.device.queue.writeBuffer(buffer, at * 4, data);
    else this.device.queue.writeBuffer(buffer, at * 4, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  }

  /** A dispatch whose bindings are `resources` in binding order (binding 0 first). */
  async dispatch(name: string, code: string, resources: GPUBuffer[], workgroups: [number, number?, number?]): Promise<Dispatch> {
    const pipeline = await this.pipeline(name, code);
    const bindGroup = this.device.createBindGroup({
      label: name,
      layout: pipeline.getBindGroupLayout(0),
      entries: resources.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    return { pipeline, bindGroup, workgroups: [workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1] };
  }

  destroy(): void {
    for (const b of this.owned.splice(0)) b.destroy();
  }
}

/** Records `dispatches` into one compute pass, in order (WebGPU orders storage accesses between dispatches of a pass). */
export function encodeDispatches(encoder: GPUCommandEncoder, dispatches: Dispatch[]): void {
  const pass = encoder.beginComputePass();
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(...d.workgroups);
  }
  pass.end();
}

/**
 * How a reduction over `rows` rows splits them for a two-level tree: chunks
 * of about sqrt(rows) rows, each reduced by its own workgroups, then the
 * about sqrt(rows) partial results reduced per output. Both levels' loops
 * stay near sqrt(rows) long while the first level's workgroups grow with the
 * rows (181 chunks of 182 rows at B*T = 32,768).
 */
export function rowChunks(rows: number): { chunk: number; count: number } {
  const chunk = Math.max(1, Math.ceil(Math.sqrt(rows)));
  return { chunk, count: Math.max(1, Math.ceil(rows / chunk)) };
}

/** Workgroups for a grid-stride loop over `n` items, `perGroup` at a time: enough to fill a large GPU, never over the 65,535 per dimension. */
export const strideGroups = (n: number, perGroup: number): number => Math.max(1, Math.min(4096, Math.ceil(n / perGroup)));

/** WGSL declarations of f32 storage arrays at consecutive bindings from `first`, in the order the dispatch binds the buffers. */
export const storageArrays = (first: number, arrays: [name: string, access: 'read' | 'read_write'][]): string =>
  arrays.map(([name, access], i) => `@group(0) @binding(${first + i}) var<storage, ${access}> ${name}: array<f32>;`).join('\n');

/** WGSL shared by the kernels: numerically safe activations. */
export const WGSL_ACTIVATIONS = /* wgsl */ `
fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
// exp(2x) overflows for large |x|, so tanh is computed from exp(-2|x|) <= 1.
fn tanhSafe(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  let t = (1.0 - e) / (1.0 + e);
  return select(-t, t, x >= 0.0);
}
`;
