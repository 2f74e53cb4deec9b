// Runs the README's quick start (package.json's "start" script, as `npm start`
// runs it) and rewrites the figures README.md quotes from it, between
// <!-- quick-start --> and <!-- /quick-start -->, so they are the ones this
// code gives:
//   npm run readme:quick-start
// The run takes about 3 minutes and is timed as a whole: run it on a quiet
// machine (the load average at the start is printed with the figures).
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { rewriteReadme, root } from './readme-sections.mjs';

const cli = path.join(root, 'dist', 'cli.js');
if (!fs.existsSync(cli)) throw new Error('dist/cli.js is missing: run npm run build first');
const start = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.start;
const match = /^node dist\/cli\.js (train .*)$/.exec(start);
if (!match) throw new Error(`package.json's start script is not a plain "node dist/cli.js train ...": ${start}`);
const args = match[1].split(/\s+/);
const out = args[args.indexOf('--out') + 1];

const fmt = (n) => n.toLocaleString('en-US');
const load = os.loadavg()[0];
const started = performance.now();
const output = await new Promise((resolve, reject) => {
  const child = spawn(process.execPath, [cli, ...args], { cwd: root });
  let text = '';
  for (const [from, to] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
    from.on('data', (d) => {
      text += d;
      to.write(d);
    });
  }
  child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`npm start's command exited with ${code}`))));
});
const seconds = (performance.now() - started) / 1000;

const find = (pattern, what) => {
  const all = [...output.matchAll(pattern)];
  if (all.length === 0) throw new Error(`the quick start's output no longer says ${what} (${pattern})`);
  return all[all.length - 1];
};
const plan = find(/^(\d+x\d+ LSTM.*?, about [^,]+)/gm, 'the model it chose')[1];
const stopped = find(/^Stopped: (\S+) after (\d+) steps/gm, 'why it stopped');
const charsPerSecond = find(/([\d.]+)k chars\/s/g, 'its speed')[1];
const model = JSON.parse(fs.readFileSync(path.join(root, out, 'model.json'), 'utf8')).userDefinedMetadata.charlens;
const { batchSize, seqLength } = model.training;
const best = model.metrics.bestValLoss;
// mixture.json holds its content bound to the weights it was fitted for (src/core/model/boundFile.ts).
const mixture = JSON.parse(fs.readFileSync(path.join(root, out, 'mixture.json'), 'utf8')).content;
const sampleArgs = ['sample', out, '--temperature', '0.8', '--length', '400', '--seed', '1'];
const sample = execFileSync(process.execPath, [cli, ...sampleArgs], { cwd: root, encoding: 'utf8' }).split('\n').slice(0, 8).join('\n');

const bits = (nats) => (nats / Math.LN2).toFixed(3);
const reasons = { 'early-stop': 'an early stop', 'time-limit': 'the time budget', finished: 'the step limit' };
rewriteReadme({
  'quick-start': [
    `Measured by \`npm run readme:quick-start\` on a ${os.availableParallelism()}-core machine (load average ${load.toFixed(1)} at the start): ` +
      `${Math.floor(seconds / 60)} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s in all for "${plan}"; ` +
      `it stopped at ${reasons[stopped[1]] ?? stopped[1]} after ${fmt(Number(stopped[2]))} steps of ${fmt(batchSize * seqLength)} characters (about ${Math.round(Number(charsPerSecond))}k chars/s at the end); ` +
      `best validation loss ${best.toFixed(3)} nats/char (${bits(best)} bits/char); on ${fmt(mixture.fitChars)} validation characters spread over the split, ` +
      `the LSTM ${mixture.valNats.lstm.toFixed(3)}, the n-gram reading online ${mixture.online.ngram.toFixed(3)}, and what answers completions (the learned mixer, the LSTM adapting) ${mixture.dynamicEvaluation.gated.toFixed(3)} nats/char. ` +
      `A sample from that run (\`charlens ${sampleArgs.join(' ')}\`):`,
    '',
    '```c',
    sample,
    '```',
  ].join('\n'),
});
