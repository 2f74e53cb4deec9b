#!/usr/bin/env node
import * as fs from 'fs';
import { UserError } from './core/userError';
import { CommandSpec, parseCommand } from './cli/args';
import { commandHelp } from './cli/help';
import { runGpuCheck } from './cli/gpuCheck';

/** Where the kernel/ corpus is looked for when --corpus is not given: the GPU pack's, then scripts/linux-corpus.sh's. */
const CORPUS_FOLDERS = ['.gpu/corpus', 'runs/linux'];

const spec: CommandSpec = {
  name: 'gpu-check',
  args: '',
  summary: "the WGSL trainer on a GPU against tfjs on WebGPU and PyTorch's cuDNN LSTM, its gradients against the CPU trainer, and a 5-minute kernel/ training run, in one table",
  details: 'Run through scripts/gpu-check.sh (npm run gpu-check), which also starts it on a GPU machine without Node from what scripts/gpu-pack.sh packed.',
  options: [
    { name: 'quick', kind: 'flag', meaning: 'rehearse on any adapter (the software one included): tiny shapes, 20 seconds of training on the start of the corpus' },
    { name: 'corpus', kind: 'string', value: 'dir', default: CORPUS_FOLDERS.join(', then '), meaning: 'folder with train.c and test.c of the kernel/ corpus' },
    { name: 'json', kind: 'string', value: 'file', default: 'runs/gpu-check.json', meaning: 'where the report is written as JSON' },
    { name: 'built-from', kind: 'string', value: 'text', default: 'unknown', meaning: 'the commit the code was built from (the pack records it)' },
  ],
};

async function main(argv: string[]): Promise<number> {
  try {
    const args = parseCommand(spec, argv);
    if (args === 'help') {
      process.stdout.write(`${commandHelp(spec)}\n`);
      return 0;
    }
    const corpus = args.string('corpus') ?? CORPUS_FOLDERS.find((dir) => fs.existsSync(`${dir}/train.c`)) ?? CORPUS_FOLDERS[0];
    const print = (line: string) => process.stdout.write(`${line}\n`);
    const { ok } = await runGpuCheck({ quick: args.flag('quick'), corpus, json: args.string('json') ?? 'runs/gpu-check.json', builtFrom: args.string('built-from') ?? 'unknown', print });
    if (!ok) process.stderr.write('\ngpu-check: a part of the check failed or the gradients disagree (see the table).\n');
    return ok ? 0 : 1;
  } catch (err) {
    if (err instanceof UserError) {
      process.stderr.write(`\ngpu-check: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`\ngpu-check: ${err instanceof Error ? err.stack : String(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
