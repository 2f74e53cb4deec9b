import { TrainProgress } from '../core/train/loop';

const formatDuration = (s: number): string => {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
};

const formatRate = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));

/**
 * One self-rewriting line on a terminal; on a pipe (CI logs) a plain line at
 * every validation and every 10% so logs stay readable.
 */
export class ProgressBar {
  private lastPrintedDecile = -1;
  private lastVal?: { loss: number; bits: number };

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  update(p: TrainProgress): void {
    if (p.kind === 'info') {
      this.println(p.message ?? '');
      return;
    }
    if (p.kind === 'validation' && p.valLoss !== undefined) this.lastVal = { loss: p.valLoss, bits: p.valBits! };
    const fraction = p.totalSteps > 0 ? p.step / p.totalSteps : 0;
    const width = 24;
    const filled = Math.round(fraction * width);
    const val = this.lastVal ? ` val ${this.lastVal.loss.toFixed(3)} (${this.lastVal.bits.toFixed(3)} bits)` : '';
    const line =
      `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ` +
      `step ${p.step}/${p.totalSteps} epoch ${p.epoch.toFixed(2)} loss ${p.trainLoss.toFixed(3)} (${p.trainBits.toFixed(3)} bits)${val} ` +
      `${formatRate(p.charsPerSec)} chars/s ETA ${formatDuration(p.etaSeconds)} [${p.backend}]`;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${line}`);
    } else {
      const decile = Math.floor(fraction * 10);
      if (p.kind === 'validation' || decile !== this.lastPrintedDecile) {
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
