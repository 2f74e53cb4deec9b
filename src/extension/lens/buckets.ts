/**
 * The overlays' colour scales. A fixed, small set of buckets lets each get
 * one decoration type, made once, with a themable colour (contributes.colors).
 */
export interface Bucket {
  /** The theme colour id, as in package.json contributes.colors. */
  color: string;
  label: string;
}

/** Probability the model gave a character, low (surprising) to high (expected). */
export const PREDICTION_BUCKETS: Bucket[] = [
  { color: 'charlens.prediction.surprising', label: '<1%' },
  { color: 'charlens.prediction.unlikely', label: '1-10%' },
  { color: 'charlens.prediction.possible', label: '10-40%' },
  { color: 'charlens.prediction.likely', label: '40-80%' },
  { color: 'charlens.prediction.expected', label: '>80%' },
];
const PREDICTION_EDGES = [0.01, 0.1, 0.4, 0.8];

/** A neuron's activation in [-1, 1] on a diverging scale; near zero is left undecorated. */
export const ACTIVATION_BUCKETS: Bucket[] = [
  { color: 'charlens.neuron.negative4', label: '≤-0.8' },
  { color: 'charlens.neuron.negative3', label: '-0.6' },
  { color: 'charlens.neuron.negative2', label: '-0.4' },
  { color: 'charlens.neuron.negative1', label: '-0.2' },
  { color: 'charlens.neuron.positive1', label: '+0.2' },
  { color: 'charlens.neuron.positive2', label: '+0.4' },
  { color: 'charlens.neuron.positive3', label: '+0.6' },
  { color: 'charlens.neuron.positive4', label: '≥+0.8' },
];

export function predictionBucket(probability: number): number {
  let b = 0;
  while (b < PREDICTION_EDGES.length && probability >= PREDICTION_EDGES[b]) b++;
  return b;
}

/** The bucket of an activation, or -1 when |a| < 0.2 (no colour). */
export function activationBucket(activation: number): number {
  const a = Math.max(-1, Math.min(1, activation));
  if (Math.abs(a) < 0.2) return -1;
  const step = Math.min(3, Math.floor((Math.abs(a) - 0.2) / 0.2));
  return a < 0 ? 3 - step : 4 + step;
}

/**
 * Consecutive offsets in the same bucket merged into [start, end) runs,
 * grouped per bucket: what setDecorations takes, one call per type.
 */
export function bucketRuns(values: ArrayLike<number>, bucketOf: (v: number) => number, buckets: number): Array<Array<[number, number]>> {
  const runs: Array<Array<[number, number]>> = Array.from({ length: buckets }, () => []);
  let i = 0;
  while (i < values.length) {
    const b = bucketOf(values[i]);
    let j = i + 1;
    while (j < values.length && bucketOf(values[j]) === b) j++;
    if (b >= 0) runs[b].push([i, j]);
    i = j;
  }
  return runs;
}

/** Whitespace made visible, for read-outs of what the model expects next. */
export function visibleChar(ch: string): string {
  if (ch === ' ') return '·';
  if (ch === '\n') return '⏎';
  if (ch === '\t') return '→';
  if (ch === '\r') return '␍';
  return ch;
}
