import assert from 'node:assert/strict';
import { Batch } from '../../src/core/text/batches';
import { WeightArrays } from '../../src/core/model/modelConfig';
import { adamUpdate, clipScale, rmspropUpdate } from '../../src/core/train/stepMath';
import { OptimizerName, Trainer, momentName } from '../../src/core/train/trainer';

/** Largest difference over the largest magnitude of `want`. */
export function relDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / (scale || 1);
}

/**
 * What every trainer owes stepMath.ts: from `weights` (the trainer's own
 * starting weights, copied), each step of `batches` updates weights and
 * moments as the reference update of the trainer's own gradients, with the
 * global-norm clip active (`gradClip` small enough) and t counting from 1, so
 * later steps start from non-zero moments.
 */
export async function assertStepsFollowReference(trainer: Trainer, weights: WeightArrays, optimizer: OptimizerName, gradClip: number, batches: Batch[]): Promise<void> {
  const moments = new Map<string, Float32Array>();
  const moment = (name: string, kind: string, n: number) => {
    const key = momentName(name, kind);
    if (!moments.has(key)) moments.set(key, new Float32Array(n));
    return moments.get(key)!;
  };
  for (const [i, batch] of batches.entries()) {
    const t = i + 1;
    const { gradients } = await trainer.gradients(batch);
    const norm = Math.sqrt([...gradients.values()].reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
    const scale = clipScale(norm, gradClip);
    assert.ok(scale < 1, 'the clip is active');
    await trainer.step(batch, { lr: 0.01, t });
    for (const [name, g] of gradients) {
      const w = weights.get(name)!;
      if (optimizer === 'adam') adamUpdate(w, g, moment(name, 'm', w.length), moment(name, 'v', w.length), 0.01, t, scale);
      else rmspropUpdate(w, g, moment(name, 'ms', w.length), 0.01, scale);
    }
  }
  const after = await trainer.readWeights();
  for (const [name, w] of weights) assert.ok(relDiff(after.get(name)!, w) < 1e-5, `${name}: ${relDiff(after.get(name)!, w)}`);
  const saved = await trainer.readMoments();
  for (const [name, m] of moments) assert.ok(relDiff(saved.get(name)!, m) < 1e-4, `${name}: ${relDiff(saved.get(name)!, m)}`);
}
