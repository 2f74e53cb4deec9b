import { Random } from '../random';
import { initialWeights } from '../model/lstmInit';
import { InferenceModel } from '../model/inference';
import { CellType, ModelConfig, modelName, parameterCount, stepMultiplyAdds } from '../model/modelConfig';
import { FIT_STEPS_PER_CHAR, MAX_FIT_CHARS } from '../predict/workspaceMixture';
import { TrainerFactory } from './loop';

/**
 * The model that fits a time budget: the largest network of the chosen cell that still reads its
 * corpus enough times in the budget, under char-rnn's ceiling of about as
 * many parameters as training characters. Speed comes from a probe of a few
 * steps at two sizes on the very trainer that will run, fitted as a fixed
 * cost per step plus a cost per multiply-add, so the estimate includes the
 * backend's overheads. The cell sets the multiply-adds per unit (a GRU's
 * are 3/4 of an LSTM's, a vanilla RNN's 1/4: stepMultiplyAdds), so the
 * same budget buys a GRU or RNN more units.
 */
export interface BudgetPlan {
  layers: number;
  hidden: number;
  dropout: number;
  parameters: number;
  /** Expected steps, passes over the training split and ms per step in the budget. */
  steps: number;
  epochs: number;
  msPerStep: number;
  /** For the user, before the first step: "2x160 LSTM on wasm (CPU), about 15 min, ~3 epochs". */
  line: string;
}

export interface BudgetRequest {
  cell: CellType;
  minutes: number;
  trainChars: number;
  vocabSize: number;
  embedding: number;
  batchSize: number;
  seqLength: number;
  /** Measures ms per training step of a model (probeTrainer on the real trainer). */
  measure: (config: ModelConfig) => Promise<number>;
  /** Where it trains, for the line: the trainer's description. */
  backend: string;
  /** Largest hidden size worth probing (GPUs take bigger models). */
  maxHidden: number;
  /** Fixed instead of chosen (the user's setting). */
  layers?: number;
  dropout?: number;
}

/** A model reads its data at least this often... */
const MAX_USEFUL_EPOCHS = 10;
/** ...or this many characters per parameter (compute-optimal scaling), whichever is fewer. */
const CHARS_PER_PARAMETER = 20;
const HIDDEN_STEP = 32;
const PROBE_STEPS = 3;

export async function planForBudget(r: BudgetRequest): Promise<BudgetPlan> {
  const layers = r.layers ?? (r.trainChars < 50_000 ? 1 : 2);
  const config = (hidden: number): ModelConfig => ({ vocabSize: r.vocabSize, embeddingSize: r.embedding, hiddenSize: hidden, layers, dropout: 0, cell: r.cell });
  const candidates: number[] = [];
  for (let h = HIDDEN_STEP; h <= r.maxHidden; h += HIDDEN_STEP) {
    if (h === HIDDEN_STEP || parameterCount(config(h)) <= r.trainChars) candidates.push(h);
  }
  const small = candidates[0];
  const large = candidates[candidates.length - 1];
  const macs = (hidden: number) => stepMultiplyAdds(config(hidden), r.batchSize, r.seqLength);
  const msSmall = await r.measure(config(small));
  const msLarge = large === small ? msSmall : await r.measure(config(large));
  const fit = linearFit(macs(small), msSmall, macs(large), msLarge);
  const budgetMs = r.minutes * 60_000;
  const charsPerStep = r.batchSize * r.seqLength;
  const plan = (hidden: number) => {
    const msPerStep = fit(macs(hidden));
    const steps = Math.max(1, Math.floor(budgetMs / msPerStep));
    const parameters = parameterCount(config(hidden));
    return { hidden, msPerStep, steps, parameters, epochs: (steps * charsPerStep) / r.trainChars };
  };
  const enough = (p: ReturnType<typeof plan>) => p.steps * charsPerStep >= Math.min(MAX_USEFUL_EPOCHS * r.trainChars, CHARS_PER_PARAMETER * p.parameters);
  const chosen = [...candidates].reverse().map(plan).find(enough) ?? plan(small);
  // char-rnn: a model big for its data overfits; dropout keeps validation loss falling.
  const dropout = r.dropout ?? (chosen.parameters > r.trainChars / 4 ? 0.25 : 0);
  const epochs = chosen.epochs;
  const line =
    `${modelName(config(chosen.hidden))}${dropout ? ` (dropout ${dropout})` : ''} on ${r.backend}, about ${formatMinutes(r.minutes)}, ` +
    `~${epochs >= 10 ? Math.round(epochs) : epochs.toFixed(1)} epochs of ${(r.trainChars / 1e6).toFixed(2)}M characters ` +
    `(${chosen.steps.toLocaleString('en-US')} steps at ${chosen.msPerStep.toFixed(0)} ms)`;
  return { layers, hidden: chosen.hidden, dropout, parameters: chosen.parameters, steps: chosen.steps, epochs, msPerStep: chosen.msPerStep, line };
}

export const formatMinutes = (m: number): string => (m >= 1 ? `${Math.round(m)} min` : `${Math.round(m * 60)} s`);

/** ms = a + b * macs through two measured points (b >= 0; one point gives a pure rate). */
function linearFit(x0: number, y0: number, x1: number, y1: number): (x: number) => number {
  if (x1 === x0) return (x) => (y0 * x) / x0;
  const b = Math.max(0, (y1 - y0) / (x1 - x0));
  const a = Math.max(0, y0 - b * x0);
  return (x) => Math.max(1e-3, a + b * x);
}

/** ms per step of `config` on the trainer `createTrainer` makes, after one warm-up step (which compiles kernels). */
export async function probeTrainer(createTrainer: TrainerFactory, config: ModelConfig, batchSize: number, seqLength: number): Promise<number> {
  const rng = new Random(1);
  const trainer = await createTrainer({ config, batchSize, seqLength, optimizer: 'adam', gradClip: 5, weights: initialWeights(config, rng) });
  try {
    const n = batchSize * seqLength;
    const batch = () => ({ batchSize, seqLength, x: ids(n, config.vocabSize, rng), y: ids(n, config.vocabSize, rng) });
    await trainer.step(batch(), { lr: 1e-3, t: 1 });
    // The fastest of a few steps: the first ones after a warm-up still pay for JIT and allocation.
    let fastest = Infinity;
    for (let i = 0; i < PROBE_STEPS; i++) {
      const t0 = performance.now();
      await trainer.step(batch(), { lr: 1e-3, t: i + 2 });
      fastest = Math.min(fastest, performance.now() - t0);
    }
    return fastest;
  } finally {
    trainer.dispose();
  }
}

const ids = (n: number, vocabSize: number, rng: Random) => Int32Array.from({ length: n }, () => Math.floor(rng.next() * vocabSize));

/** The share of a time budget the mixture fit after training may take at most (it fits on fewer characters to stay inside). */
const MAX_FIT_SHARE = 0.1;
/** Learning the held-out text into the n-gram and writing its file, beside the fit proper. */
const NGRAM_SAVE_MS = 1_000;

/**
 * How many validation characters the mixture fit after training reads, and
 * the time the training loop keeps for it at the end of the budget, so that
 * the whole job (fit included) ends within the budget.
 */
export function planMixtureFit(msPerChar: number, minutes: number): { fitChars: number; reserveMs: number } {
  const fitChars = Math.max(1_000, Math.min(MAX_FIT_CHARS, Math.floor((MAX_FIT_SHARE * minutes * 60_000) / (FIT_STEPS_PER_CHAR * msPerChar))));
  return { fitChars, reserveMs: fitChars * FIT_STEPS_PER_CHAR * msPerChar + NGRAM_SAVE_MS };
}

/** ms per character of one-character inference steps (what the mixture fit runs) for a model of `config`'s shape. */
export function probeInference(config: ModelConfig, chars = 2_000): number {
  const model = new InferenceModel(config, initialWeights(config, new Random(1)));
  const state = model.zeroState();
  model.advance(state, 0); // warm-up: the kernels compile on first use
  const t0 = performance.now();
  for (let i = 0; i < chars; i++) model.advance(state, i % config.vocabSize);
  return (performance.now() - t0) / chars;
}
