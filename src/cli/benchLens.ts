import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXPLORER_FILE, EXPLORER_STATES_FILE } from '../core/explorer/explorerCache';
import { saveCheckpoint } from '../core/model/checkpoint';
import { initialWeights } from '../core/model/lstmInit';
import { Random } from '../core/random';
import { corpusInfo, readCorpus } from '../core/text/corpus';
import { Vocabulary } from '../core/text/vocabulary';
import { lineSurprisal } from '../core/predict/lineSurprisal';
import * as rpc from '../engine/protocol';
import { benchFolders, cFile, savedDocuments, startEngine } from './benchEngine';

/**
 * `charlens bench lens`: issue 14's views through the engine over IPC, as the
 * extension asks, on the shipped model and the shipped corpus. Show Where
 * Cell Fires cold (a copy of the model folder without the explorer's cache,
 * in a fresh engine: the pass over the sample and the snippets), from the
 * disk cache (a fresh engine again) and cached in memory (other cells);
 * Find Cells for Selection; the surprise overlay of a view; Why This Prediction; Does this cell
 * matter? on a workspace-sized model.
 */
export async function benchLens(): Promise<void> {
  const shipped = path.join(__dirname, '..', 'models', 'default');
  const corpus = { folder: path.join(__dirname, '..', 'models', 'corpus') };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlens-bench-lens-'));
  for (const f of fs.readdirSync(shipped)) if (f !== EXPLORER_FILE && f !== EXPLORER_STATES_FILE && fs.statSync(path.join(shipped, f)).isFile()) fs.copyFileSync(path.join(shipped, f), path.join(dir, f));
  const line = (label: string, ms: number, target?: number) => process.stdout.write(`  ${label.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms${target === undefined ? '' : ` (target < ${target} ms)`}\n`);
  const session = async (run: (request: <P, R>(type: rpc.CheckedRequest<P, R>, params: P) => Promise<{ result: R; ms: number }>) => Promise<void>, model = dir) => {
    const { connection, stop } = startEngine();
    try {
      await connection.sendRequest(rpc.Initialize, { folders: benchFolders(), backend: 'cpu', models: [{ dir: model, source: 'file' }] });
      await run(async (type, params) => {
        const t0 = performance.now();
        const result = await connection.sendRequest(type, params);
        return { result, ms: performance.now() - t0 };
      });
    } finally {
      await stop();
    }
  };
  process.stdout.write('Seeing inside (shipped 2x128 model, shipped corpus, over IPC):\n');
  try {
    await session(async (request) => {
      const cold = await request(rpc.CellFiring, { ...corpus, neuron: { layer: 0, index: 95, kind: 'c' } });
      line(`Where Cell Fires, cold (pass over ${cold.result.chars.toLocaleString('en-US')} chars)`, cold.ms, 3000);
      const warm: number[] = [];
      for (let index = 0; index < 10; index++) warm.push((await request(rpc.CellFiring, { ...corpus, neuron: { layer: 1, index, kind: 'c' } })).ms);
      line('Where Cell Fires, cached in memory (max of 10)', Math.max(...warm), 300);
      // Find Cells for Selection on comments of a 5,000-line file, each its document's first request (no state cached).
      const file = cFile(5000);
      const comments = [...file.matchAll(/\/\*[^\n]{20,}?\*\//g)].filter((m) => m.index! > 50_000).slice(0, 10);
      const select: number[] = [];
      for (const [k, m] of comments.entries()) {
        const from = m.index!;
        const to = from + m[0].length;
        select.push((await request(rpc.CellsForSelection, { documentId: `doc${k}`, text: file.slice(Math.max(0, from - 2000), to + 16), from: Math.min(from, 2000), to: Math.min(from, 2000) + to - from, topK: 10 })).ms);
      }
      line(`Find Cells for Selection (max of ${select.length})`, Math.max(...select), 1000);
      // The surprise overlay as the extension draws it: one Trace of a 60-line view (a document's first, so
      // from a 500-character warm-up), then the per-line means. The documents are saved files of corpus text:
      // the first read makes the view that leaves the file out of the n-gram, the others share it.
      const starts = [...file.matchAll(/\n/g)].map((m) => m.index! + 1);
      const surprise: number[] = [];
      const documents = savedDocuments(file, 10, 'surprise');
      try {
        for (let k = 0; k < 10; k++) {
          const first = 500 + k * 400;
          const [from, to] = [starts[first], starts[first + 60]];
          const base = Math.max(0, from - 100_000);
          const text = file.slice(base, to);
          const t0 = performance.now();
          const trace = await request(rpc.Trace, { documentId: documents.ids[k], text, from: from - base, to: to - base, neuron: { layer: 0, index: 0, kind: 'c' } });
          lineSurprisal(text, trace.result.from, trace.result.probability, first);
          surprise.push(performance.now() - t0);
        }
      } finally {
        documents.remove();
      }
      line('Surprise overlay, 60 of 5,000 lines (max of 10)', Math.max(...surprise), 150);
      line("  the first, which makes the file's left-out view", surprise[0]);
      line('  the other 9 (max)', Math.max(...surprise.slice(1)), 150);
      // Why This Prediction at the cursor: the top guess after each of 11 places, 500 characters of context attributed,
      // each its document's first request (the state before the window read from a warm-up, as a fresh editor would).
      // Then, as when the overlays or the hover have read the document already, at a place 40 characters on.
      const why: number[] = [];
      const known: number[] = [];
      const ask = (k: number, offset: number) => {
        const base = Math.max(0, offset - 100_000);
        return request(rpc.Why, { documentId: `why${k}`, text: file.slice(base, offset), offset: offset - base, guess: true, window: rpc.DEFAULT_WHY_WINDOW });
      };
      for (let k = 0; k <= 10; k++) {
        why.push((await ask(k, 60_000 + k * 5_000)).ms);
        known.push((await ask(k, 60_040 + k * 5_000)).ms);
      }
      line('Why This Prediction, first (makes its memory)', why[0], 1000);
      line(`Why This Prediction, ${rpc.DEFAULT_WHY_WINDOW} chars, cold (max of 10)`, Math.max(...why.slice(1)), 150);
      line(`Why This Prediction, ${rpc.DEFAULT_WHY_WINDOW} chars, read before (max of 10)`, Math.max(...known.slice(1)), 150);
    });
    await session(async (request) => {
      line('Where Cell Fires, from the disk cache', (await request(rpc.CellFiring, { ...corpus, neuron: { layer: 1, index: 35, kind: 'c' } })).ms, 3000);
    });
    const workspace = workspaceSizedModel(dir);
    process.stdout.write(`Does this cell matter? (2x224 LSTM recorded as trained on a ${(workspace.bytes / 1e6).toFixed(1)} MB copy of the shipped corpus, over IPC):\n`);
    await session(async (request) => {
      const explored = await request(rpc.ExploreNeurons, { folder: workspace.folder });
      line("the explorer's pass first (the neuron view's list)", explored.ms);
      // The first cell's comparison also reads and lexes the corpus's validation split; later cells read only the model.
      const first = await request(rpc.ClampEffect, { folder: workspace.folder, neuron: { layer: 1, index: 0, kind: 'c' } });
      const { chars, windows, textChars, measured } = first.result;
      process.stdout.write(`  (${chars.toLocaleString('en-US')} characters scored in ${windows} windows of the ${textChars.toLocaleString('en-US')}-character ${measured} text, 3 runs)\n`);
      line('Clamp the cell, the first cell', first.ms, 5000);
      const later: number[] = [];
      for (const index of [100, 200]) later.push((await request(rpc.ClampEffect, { folder: workspace.folder, neuron: { layer: 1, index, kind: 'c' } })).ms);
      line('Clamp the cell, other cells (max of 2)', Math.max(...later), 5000);
    }, workspace.model);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A corpus of about 3.5 MB (the shipped corpus's files, copied over and
 * over) and a 2x224 LSTM recorded as trained on it with the default block
 * split, so the clamp reads its validation split as for a workspace model.
 * The weights are a fresh initialisation: the time does not depend on them.
 */
function workspaceSizedModel(dir: string): { folder: string; model: string; bytes: number } {
  const shipped = path.join(__dirname, '..', 'models', 'corpus', 'sqlite');
  const folder = path.join(dir, 'workspace');
  let bytes = 0;
  for (let copy = 0; bytes < 3.5e6; copy++) {
    fs.mkdirSync(path.join(folder, `copy${copy}`), { recursive: true });
    for (const f of fs.readdirSync(shipped)) {
      fs.copyFileSync(path.join(shipped, f), path.join(folder, `copy${copy}`, f));
      bytes += fs.statSync(path.join(shipped, f)).size;
    }
  }
  const corpus = readCorpus(folder);
  const vocabulary = Vocabulary.fromText(corpus.text);
  const config = { vocabSize: vocabulary.size, embeddingSize: 64, hiddenSize: 224, layers: 2, dropout: 0 };
  const model = path.join(dir, 'model224');
  saveCheckpoint(model, config, vocabulary, initialWeights(config, new Random(1)), { corpus: corpusInfo(corpus.text, corpus.report.files.length), training: { split: 'blocks', valFrac: 0.05 } });
  return { folder, model, bytes };
}
