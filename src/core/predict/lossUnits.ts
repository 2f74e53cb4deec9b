/** Losses are computed in nats/char; the UI speaks bits/char. */
export const LN2 = Math.log(2);
export const bitsPerChar = (nats: number): number => nats / LN2;
