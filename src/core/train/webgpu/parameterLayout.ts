import { ModelConfig, WeightArrays, WeightSpec, recurrentLayerName, specSize, weightSpecs } from '../../model/modelConfig';

/**
 * Where each weight sits in the flat parameter buffer (and, at the same
 * offsets, in the gradient and moment buffers), so that clipping and the
 * optimizer are single dispatches over one buffer. Each weight starts on a
 * 64-float (256-byte) boundary: vec4 loads stay aligned and any weight
 * could be bound on its own. The padding stays zero in every buffer.
 */
export interface PlacedWeight extends WeightSpec {
  offset: number;
  size: number;
}

export interface ParameterLayout {
  weights: PlacedWeight[];
  byName: Map<string, PlacedWeight>;
  /** The recurrent layers' names (lstm_1, gru_1, simple_rnn_1, ...), bottom first. */
  layerNames: string[];
  /** Floats in each flat buffer, padding included (a multiple of 64). */
  total: number;
}

const ALIGN = 64;

export function parameterLayout(config: ModelConfig): ParameterLayout {
  let offset = 0;
  const weights = weightSpecs(config).map((spec) => {
    const placed = { ...spec, offset, size: specSize(spec) };
    offset += Math.ceil(placed.size / ALIGN) * ALIGN;
    return placed;
  });
  const layerNames = Array.from({ length: config.layers }, (_, l) => recurrentLayerName(config, l));
  return { weights, byName: new Map(weights.map((w) => [w.name, w])), layerNames, total: offset };
}

/** The flat buffer's contents for `arrays` (named per weight, or per weight and moment by `key`). */
export function packFlat(layout: ParameterLayout, arrays: WeightArrays, key: (name: string) => string = (n) => n): Float32Array {
  const flat = new Float32Array(layout.total);
  for (const w of layout.weights) {
    const values = arrays.get(key(w.name));
    if (!values) throw new Error(`Missing ${key(w.name)}`);
    if (values.length !== w.size) throw new Error(`${key(w.name)} has ${values.length} values, expected ${w.size} (shape [${w.shape.join(', ')}])`);
    flat.set(values, w.offset);
  }
  return flat;
}

export function unpackFlat(layout: ParameterLayout, flat: Float32Array, key: (name: string) => string = (n) => n): WeightArrays {
  return new Map(layout.weights.map((w) => [key(w.name), flat.slice(w.offset, w.offset + w.size)]));
}
