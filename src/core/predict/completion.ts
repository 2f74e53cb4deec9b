import { Stepper, atTemperature } from './predictor';
import { Random } from '../random';
import { pickNext } from './sampling';
import { Vocabulary } from '../text/vocabulary';

export interface CompletionOptions {
  maxChars: number;
  /** 0 = argmax (the most likely continuation). */
  temperature: number;
  /** Continue past the end of the line, up to the first blank line (only sensible at a line end). */
  multiline: boolean;
  seed: number;
}

/**
 * Continues from `predictor` (advanced in place) the way an editor wants:
 * stop at the end of the line unless multi-line is allowed, never emit the
 * unknown symbol, and keep to maxChars.
 */
export function completeFrom(predictor: Stepper, vocabulary: Vocabulary, o: CompletionOptions): string {
  const rng = new Random(o.seed);
  const pick = { argmax: o.temperature === 0, topK: 0, topP: 0.95 };
  let text = '';
  for (let n = 0; n < o.maxChars; n++) {
    const id = pickNext(atTemperature(predictor.probabilities(), o.temperature || 1), pick, rng);
    const ch = vocabulary.symbols[id];
    if (ch === '\n' && (!o.multiline || text.endsWith('\n'))) break;
    text += ch;
    predictor.advance(id);
  }
  return o.multiline ? text.replace(/\s+$/, '') : text;
}
