import * as path from 'path';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { loadCheckpoint } from '../core/model/checkpoint';
import { DocumentTrace, Neuron } from '../core/predict/documentTrace';
import { InferenceModel } from '../core/model/inference';
import { Random } from '../core/random';
import { feed } from '../core/predict/sampling';
import { Vocabulary } from '../core/text/vocabulary';
import * as rpc from '../engine/protocol';
import { benchFolders, cFile, percentile, savedDocuments, startEngine } from './benchEngine';

const VISIBLE_LINES = 50;
/** A burst of PageDowns as a user holds the key: a visible-range change every 65 ms. */
const BURST = { changes: 50, everyMs: 65, bursts: 5 };
const MARGIN_LINES = 5; // as the extension's overlays read
const neuron: Neuron = { layer: 1, index: 0, kind: 'c' };

/** Offsets of the range the extension reads for a view whose first visible line is `line`. */
function viewRange(lineStarts: number[], line: number): { from: number; to: number } {
  const first = Math.max(0, line - MARGIN_LINES);
  const last = Math.min(lineStarts.length - 1, line + VISIBLE_LINES + MARGIN_LINES);
  return { from: lineStarts[first], to: lineStarts[last] };
}

const summary = (label: string, ms: number[], target: number) => {
  const s = [...ms].sort((a, b) => a - b);
  return `  ${label.padEnd(34)} p50 ${percentile(s, 50).toFixed(1).padStart(6)} ms, max ${s[s.length - 1].toFixed(1).padStart(6)} ms (target < ${target} ms)\n`;
};

/**
 * Overlay latency through the engine over IPC, as the extension asks: the
 * shipped model (2x128) on a 5,000-line C file with a 50-line view. Opening
 * and far jumps start a warm-up before the view; scrolls and edits reuse the
 * state checkpoints. Baseline in the same run: reading the file from its
 * start to the view, which is what exact values would cost. The documents
 * are saved files of the text, which is corpus text: the first open makes
 * the view that leaves the file out of the n-gram (as a workspace file's
 * first read does in the editor), and the other documents share it.
 */
export async function benchOverlay(): Promise<void> {
  const modelDir = path.join(__dirname, '..', 'models', 'default');
  const file = cFile(5000);
  const lineStarts = [0];
  for (let i = 0; i < file.length; i++) if (file[i] === '\n') lineStarts.push(i + 1);
  const rng = new Random(3);
  const randomLine = () => Math.floor(rng.next() * (lineStarts.length - VISIBLE_LINES - 20));
  const documents = savedDocuments(file, 10, 'file');
  const bursts = savedDocuments(file, BURST.bursts, 'burst');
  const { connection, stop } = startEngine();
  const open: number[] = [];
  const scroll: number[] = [];
  const jump: number[] = [];
  const edit: number[] = [];
  const exact: number[] = [];
  const burst: number[] = [];
  const checkpoint = loadCheckpoint(modelDir);
  const model = new InferenceModel(checkpoint.config, checkpoint.weights);
  try {
    await connection.sendRequest(rpc.Initialize, { folders: benchFolders(), backend: 'cpu', models: [{ dir: modelDir, source: 'default' }] });
    const trace = async (documentId: string, text: string, line: number, into: number[]) => {
      const { from, to } = viewRange(lineStarts, line);
      const t0 = performance.now();
      await connection.sendRequest(rpc.Trace, { documentId, text: text.slice(0, to), from, to, neuron });
      into.push(performance.now() - t0);
    };
    for (let k = 0; k < 10; k++) {
      const id = documents.ids[k];
      let line = randomLine();
      await trace(id, file, line, open);
      for (let s = 0; s < 3; s++) await trace(id, file, (line = Math.min(line + 20, lineStarts.length - VISIBLE_LINES - 20)), scroll);
      await trace(id, file, (line = randomLine()), jump);
      for (let e = 0; e < 5; e++) {
        const { from, to } = viewRange(lineStarts, line);
        const at = from + Math.floor(rng.next() * (to - from));
        const edited = file.slice(0, at) + 'x' + file.slice(at);
        await trace(id, edited, line, edit);
        await trace(id, file, line, []); // undo, untimed
      }
    }
    // Bursts: the extension cancels the request a newer view replaces; the engine drops what is replaced while it waits.
    for (let k = 0; k < BURST.bursts; k++) {
      const id = bursts.ids[k];
      let line = randomLine() % 1000;
      let pending: CancellationTokenSource | undefined;
      let last: Promise<unknown> = Promise.resolve();
      let sentAt = 0;
      for (let c = 0; c < BURST.changes; c++) {
        pending?.cancel();
        const source = (pending = new CancellationTokenSource());
        const { from, to } = viewRange(lineStarts, (line = Math.min(line + VISIBLE_LINES, lineStarts.length - VISIBLE_LINES - 20)));
        sentAt = performance.now();
        last = connection.sendRequest(rpc.Trace, { documentId: id, text: file.slice(0, to), from, to, neuron }, source.token).catch(() => undefined);
        if (c < BURST.changes - 1) await new Promise((resolve) => setTimeout(resolve, BURST.everyMs));
      }
      await last;
      burst.push(performance.now() - sentAt);
    }
    // The baseline: exact values read from the file's start, in this process.
    for (let k = 0; k < 5; k++) {
      const { from, to } = viewRange(lineStarts, randomLine());
      const t0 = performance.now();
      new DocumentTrace(model, checkpoint.vocabulary, { interval: 64, warmup: Infinity }).trace(file, from, to, neuron);
      exact.push(performance.now() - t0);
    }
  } finally {
    await stop();
    documents.remove();
    bursts.remove();
  }
  const p50 = (ms: number[]) => percentile([...ms].sort((a, b) => a - b), 50);
  process.stdout.write(
    `Overlay latency, shipped 2x128 model, 5,000-line C file (${(file.length / 1000).toFixed(0)}k chars), ${VISIBLE_LINES}-line view + ${MARGIN_LINES} lines each side, through the engine:\n` +
      summary('open (warm-up 500 chars)', open, 150) +
      `  the first open, which makes the file's left-out view: ${open[0].toFixed(1)} ms; the other 9: p50 ${p50(open.slice(1)).toFixed(1)} ms\n` +
      summary('scroll by 20 lines', scroll, 150) +
      summary('jump 1,000s of lines', jump, 150) +
      summary('one-character edit in the view', edit, 50) +
      summary(`burst scroll, last of ${BURST.changes} to coloured`, burst, 300) +
      `  the burst's last view is coloured in ${(p50(burst) / p50(scroll)).toFixed(1)}x the time of a lone scroll\n` +
      summary('baseline: exact read from file start', exact, Infinity).replace(' (target < Infinity ms)', '') +
      `  open is ${(p50(exact) / p50(open)).toFixed(1)}x faster than the exact read\n`,
  );
  warmupAccuracy(file, lineStarts, model, checkpoint.vocabulary);
}

/**
 * How far values from a warm-up start are from the exact ones (read from the
 * file's start), over every cell and character of 10 views.
 */
function warmupAccuracy(file: string, lineStarts: number[], model: InferenceModel, vocabulary: Vocabulary): void {
  const rng = new Random(11);
  const views = Array.from({ length: 10 }, () => viewRange(lineStarts, 1000 + Math.floor(rng.next() * 3900)));
  process.stdout.write('Warm-up accuracy against exact values (10 views, every cell and character):\n');
  for (const warmup of [250, 500, 1000, 2000]) {
    let maxP = 0;
    let sumBits = 0;
    let maxA = 0;
    let sumA = 0;
    let chars = 0;
    let cells = 0;
    for (const { from, to } of views) {
      const exact = feed(model, vocabulary, model.zeroState(), file.slice(0, from));
      const approx = feed(model, vocabulary, model.zeroState(), file.slice(Math.max(0, from - warmup), from));
      for (const id of vocabulary.encode(file.slice(from, to))) {
        const pe = model.probabilities(exact)[id];
        const pa = model.probabilities(approx)[id];
        maxP = Math.max(maxP, Math.abs(pe - pa));
        sumBits += Math.abs(Math.log2(pe) - Math.log2(pa));
        chars++;
        model.advance(exact, id);
        model.advance(approx, id);
        exact.c.forEach((layer, l) =>
          layer.forEach((c, i) => {
            const d = Math.abs(Math.tanh(c) - Math.tanh(approx.c[l][i]));
            maxA = Math.max(maxA, d);
            sumA += d;
            cells++;
          }),
        );
      }
    }
    process.stdout.write(
      `  warm-up ${String(warmup).padStart(5)} chars: probability |diff| max ${maxP.toFixed(4)}, mean |log2 p diff| ${(sumBits / chars).toFixed(5)} bits; tanh(c) |diff| max ${maxA.toFixed(4)}, mean ${(sumA / cells).toFixed(6)}\n`,
    );
  }
}
