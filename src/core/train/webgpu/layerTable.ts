import { ParameterLayout } from './parameterLayout';

/**
 * The uniform table the wavefront kernels index by layer, since one of
 * their dispatches runs several layers: where each layer's weights sit in
 * the flat parameter buffer, and this step's dropout mask on its output
 * (dropoutMask.ts: keep position i iff pcgHash(seed + i) >= threshold,
 * kept values scaled; threshold 0 and scale 1 is no dropout). The offsets
 * are fixed; the trainer rewrites the masks every step.
 */
export interface LayerMask {
  seed: number;
  threshold: number;
  scale: number;
}

export const NO_MASK: LayerMask = { seed: 0, threshold: 0, scale: 1 };

/** u32 words per layer: offWx, offWh, offB, seed, threshold, scale (f32), two of padding (uniform arrays stride by 16 bytes). */
const WORDS = 8;

export function layerTableData(layout: ParameterLayout, masks: LayerMask[]): ArrayBuffer {
  const data = new ArrayBuffer(masks.length * WORDS * 4);
  const words = new Uint32Array(data);
  const floats = new Float32Array(data);
  masks.forEach((mask, l) => {
    const offset = (weight: string) => layout.byName.get(`${layout.layerNames[l]}/${weight}`)!.offset;
    words.set([offset('kernel'), offset('recurrent_kernel'), offset('bias'), mask.seed >>> 0, mask.threshold >>> 0], l * WORDS);
    floats[l * WORDS + 5] = mask.scale;
  });
  return data;
}

/** The table's WGSL for `layers` layers at `binding`, with keepScale(l, i): the multiplier of position i of layer l's output. */
export const layerTableWgsl = (layers: number, binding: number): string => /* wgsl */ `
struct Layer { offWx: u32, offWh: u32, offB: u32, seed: u32, threshold: u32, scale: f32, pad0: u32, pad1: u32 }
@group(0) @binding(${binding}) var<uniform> layers: array<Layer, ${layers}>;

fn pcgHash(x: u32) -> u32 {
  let state = x * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn keepScale(l: u32, i: u32) -> f32 {
  return select(0.0, layers[l].scale, pcgHash(layers[l].seed + i) >= layers[l].threshold);
}
`;
