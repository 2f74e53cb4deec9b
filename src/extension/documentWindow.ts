/**
 * The model only needs recent context (the engine reads at most a warm-up
 * window before what is asked about), so a huge document is not shipped to
 * the engine on every keystroke or scroll. The start moves in coarse steps so
 * that consecutive requests share their text and the engine's state caches
 * stay warm.
 */
const MAX_CONTEXT = 100_000;
const CONTEXT_STEP = 50_000;

/** Where the text sent to the engine starts, for a request about `offset`. */
export const contextStart = (offset: number): number =>
  offset > MAX_CONTEXT ? Math.floor((offset - MAX_CONTEXT) / CONTEXT_STEP) * CONTEXT_STEP : 0;
