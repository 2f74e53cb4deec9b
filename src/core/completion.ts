import { InferenceModel, LstmState } from './inference';
import { Random } from './random';
import { pickNext } from './sampling';
import { Vocabulary } from './vocabulary';

export interface CompletionOptions {
  maxChars: number;
  /** 0 = argmax (the most likely continuation). */
  temperature: number;
  /** Continue past the end of the line, up to the first blank line (only sensible at a line end). */
  multiline: boolean;
  seed: number;
}

/**
 * Continues from `state` (advanced in place) the way an editor wants: stop at
 * the end of the line unless multi-line is allowed, never emit the unknown
 * symbol, and keep to maxChars.
 */
export function completeFrom(model: InferenceModel, vocabulary: Vocabulary, state: LstmState, o: CompletionOptions): string {
  const rng = new Random(o.seed);
  const pick = { argmax: o.temperature === 0, topK: 0, topP: 0.95 };
  let text = '';
  for (let n = 0; n < o.maxChars; n++) {
    const id = pickNext(model.probabilities(state, o.temperature || 1), pick, rng);
    const ch = vocabulary.symbols[id];
    if (ch === '\n' && (!o.multiline || text.endsWith('\n'))) break;
    text += ch;
    model.advance(state, id);
  }
  return o.multiline ? text.replace(/\s+$/, '') : text;
}
