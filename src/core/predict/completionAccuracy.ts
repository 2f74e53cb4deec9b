import { completeFrom } from './completion';
import { Stepper } from './predictor';
import { Random } from '../random';
import { Vocabulary } from '../text/vocabulary';

/**
 * The completion-accuracy benchmark's measure of what users see: from a
 * cursor inside a line, the greedy completion to the end of the line,
 * compared with the rest of the line that was really there. Texts are
 * arrays of characters (code points), so offsets count characters.
 */

/** Longer than nearly every line of code, so a completion stops at its line end, not at this cap. */
export const MAX_COMPLETION_CHARS = 200;

const isBlank = (ch: string) => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';

/**
 * `count` distinct cursor offsets, ascending, drawn with `seed` from those
 * a user completes at: right after a non-space character, with more of the
 * line to come. All of them when there are fewer.
 */
export function pickCursors(chars: readonly string[], count: number, seed: number): number[] {
  const eligible: number[] = [];
  for (let i = 1; i < chars.length; i++) if (!isBlank(chars[i - 1]) && chars[i] !== '\n') eligible.push(i);
  const rng = new Random(seed);
  const take = Math.min(count, eligible.length);
  // A partial Fisher-Yates shuffle: the first `take` entries become a uniform sample.
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(rng.next() * (eligible.length - i));
    [eligible[i], eligible[j]] = [eligible[j], eligible[i]];
  }
  return eligible.slice(0, take).sort((a, b) => a - b);
}

/** The characters from `at` to the end of its line (the newline left out). */
export function restOfLine(chars: readonly string[], at: number): string[] {
  let end = at;
  while (end < chars.length && chars[end] !== '\n') end++;
  return chars.slice(at, end);
}

/**
 * What a decoder's completions were worth at a set of cursors: how often
 * something was shown (a non-empty completion), how often what was shown
 * was right as far as it went (a prefix of the rest of the line, so that a
 * user accepting it writes what was really there), how long it was, the
 * characters a user could accept per cursor (the shown length where right,
 * over all cursors), the exact-match rate of whole rests of lines, the
 * mean characters right before the first wrong one, and the decoder's time.
 */
export class AccuracyTally {
  private count = 0;
  private shown = 0;
  private right = 0;
  private shownChars = 0;
  private accepted = 0;
  private exact = 0;
  private correct = 0;
  private ms = 0;

  add(completion: readonly string[], rest: readonly string[], ms = 0): void {
    let n = 0;
    while (n < completion.length && n < rest.length && completion[n] === rest[n]) n++;
    this.correct += n;
    if (n === rest.length && completion.length === rest.length) this.exact++;
    if (completion.length > 0) {
      this.shown++;
      this.shownChars += completion.length;
      if (n === completion.length) {
        this.right++;
        this.accepted += n;
      }
    }
    this.ms += ms;
    this.count++;
  }

  get exactRate(): number {
    return this.exact / Math.max(1, this.count);
  }

  get meanCorrectChars(): number {
    return this.correct / Math.max(1, this.count);
  }

  get shownShare(): number {
    return this.shown / Math.max(1, this.count);
  }

  /** Of the completions shown, the share that were a prefix of the rest of the line. */
  get rightShare(): number {
    return this.right / Math.max(1, this.shown);
  }

  get meanShownChars(): number {
    return this.shownChars / Math.max(1, this.shown);
  }

  get acceptedPerCursor(): number {
    return this.accepted / Math.max(1, this.count);
  }

  get msPerCursor(): number {
    return this.ms / Math.max(1, this.count);
  }
}

/** The greedy (argmax) completion to the end of the line, as the editor's ghost text at temperature 0. */
export function greedyLine(predictor: Stepper, vocabulary: Vocabulary): string[] {
  return Array.from(completeFrom(predictor, vocabulary, { maxChars: MAX_COMPLETION_CHARS, temperature: 0, multiline: false, seed: 0 }));
}
