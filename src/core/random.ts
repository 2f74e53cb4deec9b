/**
 * Seeded pseudo-random numbers (mulberry32). Everything random in CharLens
 * (weight init, sampling, dropout seeds) goes through this, so one seed
 * reproduces a run; the state is a single uint32 that checkpoints can store.
 */
export class Random {
  constructor(public state: number) {
    this.state = state >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A fresh uint32, e.g. to seed a tfjs op. */
  int(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }
}
