import { fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { monitorEventLoopDelay } from 'perf_hooks';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, MessageConnection } from 'vscode-jsonrpc/node';
import { saveCheckpoint } from '../core/checkpoint';
import { readCorpus } from '../core/corpus';
import { initialWeights } from '../core/lstmInit';
import { Random } from '../core/random';
import { Vocabulary } from '../core/vocabulary';
import * as rpc from '../engine/protocol';

/**
 * Engine benchmarks, measured the way the extension sees them: through the
 * engine process over IPC. The engine bundle sits beside this one in dist/.
 */
export function startEngine(): { connection: MessageConnection; stop: () => void } {
  const child = fork(path.join(__dirname, 'engine.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  connection.listen();
  return { connection, stop: () => (connection.dispose(), child.kill()) };
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** The shipped corpus, repeated and cut to `lines` lines: a realistic C file. */
export function cFile(lines: number): string {
  const text = readCorpus(path.join(__dirname, '..', 'models', 'corpus')).text.split('\n');
  const out: string[] = [];
  for (let i = 0; out.length < lines; i++) out.push(text[i % text.length]);
  return out.join('\n') + '\n';
}

/**
 * Completion latency from request to result for completions of up to 40
 * characters from a 2x256 model with warm state: 200 requests, each after
 * one more typed character, at 10 places in a 2,000-line C file.
 */
export async function benchCompletion(): Promise<void> {
  const file = cFile(2000);
  const vocabulary = Vocabulary.fromText(file);
  const config = { vocabSize: vocabulary.size, embeddingSize: 64, hiddenSize: 256, layers: 2, dropout: 0 };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlens-bench-'));
  saveCheckpoint(dir, config, vocabulary, initialWeights(config, new Random(1)));
  const { connection, stop } = startEngine();
  try {
    await connection.sendRequest(rpc.Initialize, { backend: 'cpu', models: [{ dir, source: 'file' }] });
    const rng = new Random(7);
    const times: number[] = [];
    let chars = 0;
    for (let place = 0; place < 10; place++) {
      const cursor = Math.floor(rng.next() * file.length);
      // Opening the place: the first request reads the warm-up window (not timed, as an editor warms up on open).
      await connection.sendRequest(rpc.Complete, { documentId: 'bench.c', prefix: file.slice(0, cursor), maxChars: 40, temperature: 0, multiline: false });
      for (let k = 1; k <= 20; k++) {
        const t0 = performance.now();
        const r = await connection.sendRequest(rpc.Complete, { documentId: 'bench.c', prefix: file.slice(0, cursor + k), maxChars: 40, temperature: 0, multiline: false });
        times.push(performance.now() - t0);
        chars += [...r.text].length;
      }
    }
    times.sort((a, b) => a - b);
    process.stdout.write(
      `Completion latency, 2x256 LSTM, 200 requests typed into a 2,000-line C file (mean ${(chars / times.length).toFixed(1)} chars each):\n` +
        `  p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms (target p50 < 15 ms)\n`,
    );
  } finally {
    stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The extension host's event-loop delay while the engine trains: this
 * process plays the extension host (it receives every progress
 * notification) and measures its own loop with monitorEventLoopDelay.
 */
export async function benchEventLoop(seconds = 20): Promise<void> {
  const folder = path.join(__dirname, '..', 'models', 'corpus');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'charlens-bench-'));
  const { connection, stop } = startEngine();
  try {
    await connection.sendRequest(rpc.Initialize, { backend: 'wasm', models: [] });
    let notifications = 0;
    connection.onNotification(rpc.TrainingProgress, () => notifications++);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    await connection.sendRequest(rpc.StartTraining, { folder, options: { out, hidden: 128, layers: 2, batchSize: 32, seqLength: 64, evalEvery: 20 } });
    delay.enable();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    delay.disable();
    await connection.sendRequest(rpc.StopTraining);
    process.stdout.write(
      `Extension-host event-loop delay over ${seconds} s of training (${notifications} progress notifications):\n` +
        `  p50 ${(delay.percentile(50) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms (target max < 50 ms)\n`,
    );
  } finally {
    stop();
    fs.rmSync(out, { recursive: true, force: true });
  }
}
