// Regenerates README.md's completion-accuracy tables from the accuracy
// benchmark, so the figures there are the ones this code measures:
//   node scripts/quality-tables.mjs [--kernel-model <dir>]
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
const kernelModel = argv.includes('--kernel-model') ? argv[argv.indexOf('--kernel-model') + 1] : undefined;
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
    `${result.cursors.toLocaleString('en-US')} cursors in ${result.testChars.toLocaleString('en-US')} test characters, LSTM \`${path.relative(root, result.model) || result.model}\`; ` +
      `n-gram of ${ngram.trainChars.toLocaleString('en-US')} training characters: ${mb(ngram.diskBytes)} on disk (${(ngram.diskBytes / ngram.trainChars).toFixed(1)} bytes per character), ${mb(ngram.memoryBytes)} in memory, built in ${ngram.buildSeconds.toFixed(1)} s; ` +
      `full-network dynamic evaluation (every weight) ${result.fullNetworkNats.toFixed(3)} nats/char online.`,
  ].join('\n');
}

const sections = {};
for (const table of tables) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlens-quality-'));
  const out = path.join(dir, 'accuracy.json');
  process.stderr.write(`bench accuracy ${table.args.join(' ')}\n`);
  try {
    execFileSync(process.execPath, [cli, 'bench', 'accuracy', ...table.args, '--json', out], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    sections[`accuracy:${table.name}`] = render(JSON.parse(fs.readFileSync(out, 'utf8')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
rewriteReadme(sections);
