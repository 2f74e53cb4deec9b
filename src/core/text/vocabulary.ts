/**
 * Character vocabulary: one symbol per Unicode code point seen at least
 * `minCount` times, plus an "unknown" symbol at index 0 that stands for
 * everything else (so text the model never saw can still be fed to it).
 */
export const UNKNOWN_SYMBOL = '\uFFFD';

export class Vocabulary {
  private readonly index = new Map<string, number>();

  /** symbols[0] is always UNKNOWN_SYMBOL. */
  constructor(readonly symbols: readonly string[]) {
    if (symbols[0] !== UNKNOWN_SYMBOL) {
      throw new Error('Vocabulary must start with the unknown symbol U+FFFD');
    }
    symbols.forEach((s, i) => {
      if ([...s].length !== 1) throw new Error(`Vocabulary entry ${i} is not a single character: ${JSON.stringify(s)}`);
      if (this.index.has(s)) throw new Error(`Vocabulary entry ${JSON.stringify(s)} appears twice`);
      this.index.set(s, i);
    });
  }

  static fromText(text: string, minCount = 1): Vocabulary {
    const counts = new Map<string, number>();
    for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    const kept = [...counts].filter(([ch, n]) => n >= minCount && ch !== UNKNOWN_SYMBOL).map(([ch]) => ch);
    // Sorted by code point so the same text always gives the same ids.
    kept.sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new Vocabulary([UNKNOWN_SYMBOL, ...kept]);
  }

  get size(): number {
    return this.symbols.length;
  }

  idOf(ch: string): number {
    return this.index.get(ch) ?? 0;
  }

  has(ch: string): boolean {
    return this.index.has(ch);
  }

  /** One id per code point, written straight into the result: a corpus of tens of megabytes costs 4 bytes a character, not a JS array's 8 or more. */
  encode(text: string): Int32Array {
    const ids = new Int32Array(codePointCount(text));
    let i = 0;
    for (const ch of text) ids[i++] = this.idOf(ch);
    return ids;
  }

  decode(ids: ArrayLike<number>): string {
    let out = '';
    for (let i = 0; i < ids.length; i++) out += this.symbols[ids[i]] ?? UNKNOWN_SYMBOL;
    return out;
  }

  /** Characters of `text` that map to the unknown symbol, each once. */
  unknownIn(text: string): string[] {
    const seen = new Set<string>();
    for (const ch of text) if (!this.index.has(ch)) seen.add(ch);
    return [...seen];
  }
}

/** Code points in `text` (a surrogate pair is one), counted without materialising them. */
export function codePointCount(text: string): number {
  let pairs = 0;
  for (let i = 0; i + 1 < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return text.length - pairs;
}
