/**
 * What an attribution says, apart from how it is computed (attribution.ts):
 * the editor and the engine's protocol need these without the kernels.
 */

/** The longest window one attribution reads (the issue's N). */
export const MAX_WINDOW = 1000;

/** One character of the window and what it contributed. */
export interface Contribution {
  /** UTF-16 offset of the character in the text. */
  offset: number;
  char: string;
  /** Characters (code points) from it to the explained one: 1 for the character just before. */
  back: number;
  /** Its contribution to log p of the explained character, in nats (to first order). */
  nats: number;
}

export interface Attribution {
  /** The character explained, at `at`, and the probability the model gave it there. */
  char: string;
  at: number;
  probability: number;
  /** Every character of the window, oldest first. */
  window: Contribution[];
}

/** The `count` contributions largest in size, strongest first. */
export const strongest = (window: readonly Contribution[], count: number): Contribution[] =>
  [...window].sort((a, b) => Math.abs(b.nats) - Math.abs(a.nats)).slice(0, count);

/** "the `(` 37 characters back, +2.1 nats", with `show` writing the character (whitespace made visible, quoted). */
export const describeContribution = (c: Contribution, show: (char: string) => string): string =>
  `the ${show(c.char)} ${c.back === 1 ? 'just before' : `${c.back} characters back`}, ${c.nats >= 0 ? '+' : '-'}${Math.abs(c.nats).toFixed(c.nats !== 0 && Math.abs(c.nats) < 0.1 ? 3 : 2)} nats`;
