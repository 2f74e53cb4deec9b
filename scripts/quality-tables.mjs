// Regenerates README.md's completion-accuracy tables from the accuracy
// benchmark, so the figures there are the ones this code measures:
//   node scripts/quality-tables.mjs [--kernel-model <dir>] [--results <dir>]
// With --results, each table's figures are kept in <dir>/<name>.json and a
// file already there is used instead of running its benchmark again (the
// kernel/ run takes most of an hour on a busy 2-core machine).
// The shipped split's table always; the Linux kernel/ one when
// runs/linux/{train,test}.c (bash scripts/linux-corpus.sh) and a model
// trained on train.c (--kernel-model) are there. Each table sits between
// <!-- accuracy:NAME --> and <!-- /accuracy:NAME --> in the README.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { rewriteReadme, root } from './readme-sections.mjs';

const cli = path.join(root, 'dist', 'cli.js');
if (!fs.existsSync(cli)) throw new Error('dist/cli.js is missing: run npm run build first');

const argv = process.argv.slice(2);
const option = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const kernelModel = option('--kernel-model');
const results = option('--results');
if (results) fs.mkdirSync(results, { recursive: true });
const kernelTrain = path.join(root, 'runs', 'linux', 'train.c');
const kernelTest = path.join(root, 'runs', 'linux', 'test.c');

const tables = [{ name: 'shipped', args: ['models/corpus', 'models/corpus'] }];
if (kernelModel && fs.existsSync(kernelTrain) && fs.existsSync(kernelTest)) tables.push({ name: 'kernel', args: [kernelTrain, kernelTest, '--model', kernelModel] });
else process.stderr.write('kernel/ table left as it is: it needs runs/linux/{train,test}.c (bash scripts/linux-corpus.sh) and --kernel-model <dir>\n');

const cell = (r) => `${(r.exact * 100).toFixed(1)}% / ${r.chars.toFixed(2)} / ${r.nats.toFixed(3)}`;
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** The benchmark's predictors as table rows (the best online figure in bold), then what the n-gram costs. */
function render(result) {
  const online = result.predictors.filter((p) => p.online);
  const best = Math.min(...online.map((p) => p.online.nats));
  const rows = result.predictors.map((p) => {
    const right = p.online ? (p.online.nats === best ? `**${cell(p.online)}**` : cell(p.online)) : '(weights fixed)';
    return `| ${p.label} | ${p.static ? cell(p.static) : '(adapts online only)'} | ${right} |`;
  });
  const { ngram } = result;
  return [
    '| predictor | static exact / chars / nats | online exact / chars / nats |',
    '|---|---|---|',
    ...rows,
    '',
    ...renderDecoders(result),
    '',
    `${result.cursors.toLocaleString('en-US')} cursors in ${result.testChars.toLocaleString('en-US')} test characters, LSTM \`${path.relative(root, result.model) || result.model}\`; ` +
      `n-gram of ${ngram.trainChars.toLocaleString('en-US')} training characters: ${mb(ngram.diskBytes)} on disk (${(ngram.diskBytes / ngram.trainChars).toFixed(1)} bytes per character), ${mb(ngram.memoryBytes)} in memory, built in ${ngram.buildSeconds.toFixed(1)} s; ` +
      (result.fullNetworkNats === null ? 'full-network dynamic evaluation not run (--predictors left the LSTM out).' : `full-network dynamic evaluation (every weight) ${result.fullNetworkNats.toFixed(3)} nats/char online.`),
  ].join('\n');
}

/** The decoders' rows, then the bound: the longest right cut of the suggestion's tree at each cursor, which only the text after the cursor tells. */
const DECODERS = { greedy: 'greedy line', beam: "beam's best line", suggestion: 'suggestion', bound: 'longest right cut (bound)' };
const pct = (x) => `${(x * 100).toFixed(1)}%`;
/** A suggestion cut: threshold + rightWorth (a bare number: a threshold of the longest-cut rule, from a run before it). */
const cutLabel = (cut) => (typeof cut === 'number' ? String(cut) : `${cut.threshold} + ${cut.rightWorth}`);

/** Online (as the editor reads), per predictor and decoder: what a user is shown and could accept; the predictor that answers in the editor in bold. */
function renderDecoders(result) {
  const rows = [];
  for (const p of result.predictors) {
    const figures = p.online ?? p.static;
    for (const [key, label] of Object.entries(DECODERS)) {
      const d = figures.decoders[key];
      // Figures saved before the bound was measured have none.
      if (!d) continue;
      const threshold = key === 'suggestion' ? ` (cut ${figures.thresholds.map(cutLabel).join(' / ')})` : '';
      const cells = [pct(d.shown), pct(d.right), d.length.toFixed(1), d.accepted.toFixed(2), pct(d.exact), key === 'bound' ? '-' : d.ms.toFixed(1)];
      const answering = p.name === 'mixer dyn' && key === 'suggestion';
      rows.push(`| ${p.label} | ${label}${threshold} | ${(answering ? cells.map((c) => `**${c}**`) : cells).join(' | ')} |`);
    }
  }
  const saved = result.savedThreshold;
  return [
    `Decoders, online, at the same cursors (beam width ${result.beamWidth}; the suggestion cut for a precision of ${pct(result.precision)}, its scorer and cut, threshold + rightWorth, cross-fitted on the test text's halves; the bound: at each cursor the longest cut of the suggestion's tree that is right, which no rule for choosing a cut can beat):`,
    '',
    '| predictor | decoder | shown | right | mean shown chars | accepted chars per cursor | exact rest of line | ms per cursor |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    ...(saved ? ['', `With the model's own cut (${cutLabel(saved.threshold)}, fitted on its validation split when it was saved), the learned mixer with dynamic evaluation shows a suggestion at ${pct(saved.shown)} of the cursors, right ${pct(saved.right)} of the time, ${saved.length.toFixed(1)} characters long: ${saved.accepted.toFixed(2)} accepted characters per cursor.`] : []),
  ];
}

const sections = {};
for (const table of tables) {
  const scratch = results ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'charlens-quality-'));
  const out = path.join(results ?? scratch, results ? `${table.name}.json` : 'accuracy.json');
  try {
    if (results && fs.existsSync(out)) process.stderr.write(`${out}: the ${table.name} figures of an earlier run\n`);
    else {
      process.stderr.write(`bench accuracy ${table.args.join(' ')}\n`);
      execFileSync(process.execPath, [cli, 'bench', 'accuracy', ...table.args, '--json', out], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    }
    sections[`accuracy:${table.name}`] = render(JSON.parse(fs.readFileSync(out, 'utf8')));
  } finally {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  }
}
rewriteReadme(sections);
