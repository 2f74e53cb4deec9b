import { TrainProgress, stepCounter } from '../core/train/progress';

const formatDuration = (s: number): string => {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
};

const fmtCount = (n: number): string => n.toLocaleString('en-US');

const formatRate = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));

/**
 * One self-rewriting line on a terminal; on a pipe (CI logs) a plain line at
 * every validation and every 10% so logs stay readable.
 */
export class ProgressBar {
  private lastPrintedDecile = -1;
  private lastVal?: { loss: number; bits: number };
  private readonly created = performance.now();

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  update(p: TrainProgress): void {
    if (p.kind === 'info') {
      this.println(p.message ?? '');
      return;
    }
    if (p.kind === 'validation' && p.valLoss !== undefined) this.lastVal = { loss: p.valLoss, bits: p.valBits! };
    const val = this.lastVal ? ` val ${this.lastVal.loss.toFixed(3)} (${this.lastVal.bits.toFixed(3)} bits)` : '';
    this.show(
      p.fraction,
      `${stepCounter(p)} epoch ${p.epoch.toFixed(2)} loss ${p.trainLoss.toFixed(3)} (${p.trainBits.toFixed(3)} bits)${val} ` +
        `${formatRate(p.charsPerSec)} chars/s ${p.endsBy === 'budget' ? `${formatDuration(p.etaSeconds)} left of the budget` : `ETA ${formatDuration(p.etaSeconds)}`} [${p.backend}]`,
      p.kind === 'validation',
    );
  }

  /** Progress through `total` characters of some work (eval's scoring) that began when this bar was made. */
  chars(what: string, done: number, total: number): void {
    const perSec = (done / (performance.now() - this.created)) * 1000;
    const eta = total > done ? (total - done) / perSec : 0;
    this.show(total > 0 ? done / total : 1, `${what} ${fmtCount(done)}/${fmtCount(total)} chars ${formatRate(perSec)} chars/s ETA ${formatDuration(eta)}`, false);
  }

  /** The bar and `detail`; on a pipe only at each new 10% (or when `always`). */
  private show(fraction: number, detail: string, always: boolean): void {
    const width = 24;
    const filled = Math.round(fraction * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${detail}`;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${line}`);
    } else {
      const decile = Math.floor(fraction * 10);
      if (always || decile !== this.lastPrintedDecile) {
        this.lastPrintedDecile = decile;
        this.out.write(`${line}\n`);
      }
    }
  }

  println(text: string): void {
    this.out.write(this.out.isTTY ? `\r\x1b[2K${text}\n` : `${text}\n`);
  }

  done(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}
