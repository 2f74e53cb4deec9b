import * as tf from '@tensorflow/tfjs';
import { BackendName, selectBackend } from '../core/backend';
import { initialWeights } from '../core/lstmInit';
import { ModelConfig } from '../core/modelConfig';
import { Network } from '../core/network';
import { Random } from '../core/random';
import { trainStep } from '../core/training';
import { ParsedArgs, numberOption } from './args';

interface Dims {
  B: number;
  T: number;
  H: number;
  L: number;
  V: number;
}

/** ms per training step (forward, backward, clip, Adam) on one backend, after one warm-up step. */
async function msPerStep(backend: BackendName, d: Dims, steps: number): Promise<number> {
  await selectBackend(backend);
  const config: ModelConfig = { vocabSize: d.V, embeddingSize: 64, hiddenSize: d.H, layers: d.L, dropout: 0 };
  const rng = new Random(1);
  const net = new Network(config, initialWeights(config, rng));
  const varList = [...net.variables.values()];
  const optimizer = tf.train.adam(2e-3);
  const ids = () => Int32Array.from({ length: d.B * d.T }, () => Math.floor(rng.next() * d.V));
  let state = net.zeroState(d.B);
  const step = () => trainStep(net, varList, optimizer, { batchSize: d.B, seqLength: d.T, x: ids(), y: ids() }, state, 5, undefined, (s) => (state = s));
  await step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const ms = (performance.now() - t0) / steps;
  net.dispose();
  optimizer.dispose();
  tf.dispose([...state.h, ...state.c]);
  return ms;
}

/** `charlens bench`: training speed of the same step on the wasm and cpu backends, measured in one run. */
export async function benchCommand(args: ParsedArgs): Promise<number> {
  const d: Dims = { B: 50, T: 50, H: 128, L: 2, V: 65 };
  const steps = numberOption(args, 'steps') ?? 3;
  const label = `(B,T,H,L,V) = (${d.B},${d.T},${d.H},${d.L},${d.V})`;
  process.stdout.write(`Training step ${label}, ${steps} timed steps after 1 warm-up\n`);
  const results: Array<[BackendName, number]> = [];
  for (const backend of ['wasm', 'cpu'] as const) {
    const ms = await msPerStep(backend, d, steps);
    results.push([backend, ms]);
    process.stdout.write(`  ${backend.padEnd(5)} ${ms.toFixed(0).padStart(7)} ms/step  ${((d.B * d.T * 1000) / ms).toFixed(0).padStart(7)} chars/s\n`);
  }
  const [wasm, cpu] = results.map(([, ms]) => ms);
  process.stdout.write(`  wasm is ${(cpu / wasm).toFixed(1)}x faster than cpu (same run)\n`);
  return 0;
}
