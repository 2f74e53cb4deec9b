import * as fs from 'fs';
import { after, before } from 'node:test';
import * as os from 'os';
import * as path from 'path';
import { LstmState } from '../../src/core/model/inference';
import { Random } from '../../src/core/random';
import { Vocabulary } from '../../src/core/text/vocabulary';
import { SteppingModel } from '../../src/core/explorer/neuronRanking';
import { smallOptions, trainText, useWasm } from './helpers';

/**
 * Code in which about half the characters sit in strings of up to 30 random
 * letters, so that what comes next depends on whether a quote is open.
 */
export function quotedCode(lines: number, seed: number): string {
  const rng = new Random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng.next() * items.length)];
  const name = () => pick(['a', 'b', 'x', 'f']);
  const words = () => Array.from({ length: 1 + Math.floor(rng.next() * 30) }, () => pick([...'abcdefghijk '])).join('');
  let out = '';
  for (let i = 0; i < lines; i++) {
    const r = rng.next();
    if (r < 0.35) out += `${name()} = "${words()}";\n`;
    else if (r < 0.7) out += `${name()}(${name()}, "${words()}");\n`;
    else if (r < 0.85) out += `${name()} = ${name()}(${name()});\n`;
    else out += `if (${name()} < ${name()}) ${name()} = ${name()};\n`;
  }
  return out;
}

/** A stand-in model whose layer 1 cell 2 is a quote flip-flop and layer 0 cell 3 counts open parentheses; every other cell is noise. */
export function plantedModel(vocabulary: Vocabulary): SteppingModel {
  const config = { vocabSize: vocabulary.size, embeddingSize: 1, hiddenSize: 4, layers: 2, dropout: 0 };
  const rng = new Random(5);
  let inside = false;
  let depth = 0;
  return {
    config,
    zeroState: (): LstmState => ({ h: [new Float32Array(4), new Float32Array(4)], c: [new Float32Array(4), new Float32Array(4)] }),
    advance(state: LstmState, id: number): LstmState {
      const ch = vocabulary.symbols[id];
      if (ch === '"') inside = !inside;
      if (!inside) depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
      for (const c of state.c) for (let j = 0; j < c.length; j++) c[j] = rng.uniform(-2, 2);
      state.c[1][2] = inside ? 2 : -2;
      state.c[0][3] = 0.5 * depth + 0.05 * rng.next();
      return state;
    },
  };
}

/** Trains, in `out`, the small model whose cells learn quoted code (the explorer test finds its string cell, |r| > 0.8). */
export async function trainQuotedModel(out: string, seed = 1): Promise<void> {
  // Cut at its tail, as when the explorer's figures for it were set: its cells are the fixture, not the split.
  await trainText(quotedCode(1500, seed), smallOptions(out, { seqLength: 64, batchSize: 16, maxSteps: 300, evalEvery: 300, valFrac: 0.05, lr: 0.01, seed, split: 'tail' }));
}

/** For a test file: trains the quoted-code model once before its tests, in a folder removed after them; the result names the folder. */
export function useTrainedQuotedModel(): () => string {
  let out = '';
  before(async () => {
    await useWasm();
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'charlens-test-'));
    await trainQuotedModel(out);
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));
  return () => out;
}
