/**
 * Surprise per line, as in Ray et al., "On the 'Naturalness' of Buggy Code"
 * (ICSE 2016): the mean bits per character the model spent on the line,
 * each character given everything before it. The newline is left out, so a
 * line's figure is about its own text; blank lines have none.
 */
export interface LineSurprisal {
  /** 0-based line in the document. */
  line: number;
  /** Code points on the line, the newline not counted. */
  chars: number;
  bitsPerChar: number;
}

/**
 * Per line of `text` from offset `from` (a line start, line `firstLine` of
 * the document), given `probability` per UTF-16 offset from `from` as the
 * trace gives it; a surrogate pair counts once, at its first unit.
 */
export function lineSurprisal(text: string, from: number, probability: ArrayLike<number>, firstLine: number): LineSurprisal[] {
  const lines: LineSurprisal[] = [];
  let line = firstLine;
  let bits = 0;
  let chars = 0;
  const finish = () => {
    if (chars > 0) lines.push({ line, chars, bitsPerChar: bits / chars });
    bits = chars = 0;
  };
  for (let i = 0; i < probability.length; i++) {
    const unit = text.charCodeAt(from + i);
    if (unit === 0x0a) {
      finish();
      line++;
    } else if (unit < 0xdc00 || unit > 0xdfff) {
      bits -= Math.log2(probability[i]);
      chars++;
    }
  }
  finish();
  return lines;
}

/** The `count` most surprising lines, most surprising first. */
export const mostSurprising = (lines: LineSurprisal[], count: number): LineSurprisal[] => [...lines].sort((a, b) => b.bitsPerChar - a.bitsPerChar).slice(0, count);
