#!/usr/bin/env node
import { BackendError } from './core/backend';
import { CheckpointError } from './core/checkpoint';
import { CorpusError } from './core/corpus';
import { TrainingError } from './core/train/loop';
import { UsageError, parseArgs } from './cli/args';
import { TRAIN_NUMBER_OPTIONS, evalCommand, exploreCommand, sampleCommand, trainCommand } from './cli/commands';
import { ngramCommand } from './cli/ngramReport';
import { benchCommand } from './cli/bench';

const USAGE = `CharLens: character-level LSTMs for code

  charlens train <folder> [--out dir] [--layers 2] [--hidden 128] [--dropout 0] [--seq-length 50]
                          [--batch-size 50] [--lr 0.002] [--epochs 50] [--grad-clip 5] [--val-frac 0.05]
                          [--minutes m] [--max-steps n] [--resume] [--backend auto|wasm|cpu|webgpu|tensorflow|tensorflow-gpu]
                          [--seed 123] [--include glob] [--exclude glob] [--ngram-order 10]
      --hidden left out: the size is chosen from the corpus size. After training, an n-gram of the
      training split and the LSTM/n-gram mixture weight are fitted and saved with the model (0 = no n-gram).
  charlens sample <model> [--temperature 1] [--prime text] [--length 2000] [--seed 123] [--top-k k] [--top-p p] [--argmax]
  charlens eval <model> <folder|file> [--train folder|file] [--val folder|file] [--order 10]
      LSTM loss, then a table of the LSTM, a Kneser-Ney character n-gram and their mixture, static and
      online (learning as it reads). The n-gram counts --train; without it it starts empty and learns
      from the target alone. Mixture weights are fitted on --val, or else on the first 10% of the
      target, which every row of the table then leaves out.
  charlens ngram <train folder|file> <eval folder|file> [--order 3,5,7,10,15,20]
      Kneser-Ney n-gram per order: static and online nats/char, build time, memory, distribution() time.
  charlens explore <model> <folder|file> [--chars 50000] [--top 10]
      Which LSTM cells track strings, comments, bracket depth, indentation, column: cells ranked by the
      correlation of tanh(c) with each, on lines sampled across the target's files; cached in the model folder.
  charlens bench [train]`;

const COMMON = ['backend', 'include', 'exclude'];
const COMMANDS: Record<string, { values: string[]; flags: string[]; run: (a: ReturnType<typeof parseArgs>) => Promise<number> }> = {
  train: { values: [...TRAIN_NUMBER_OPTIONS, ...COMMON, 'out', 'optimizer', 'max-file-bytes', 'ngram-order'], flags: ['resume'], run: trainCommand },
  sample: { values: ['temperature', 'top-k', 'top-p', 'prime', 'seed', 'length', 'stop'], flags: ['argmax'], run: sampleCommand },
  eval: { values: [...COMMON, 'train', 'val', 'order'], flags: [], run: evalCommand },
  ngram: { values: ['include', 'exclude', 'order'], flags: [], run: ngramCommand },
  explore: { values: ['include', 'exclude', 'chars', 'top'], flags: [], run: exploreCommand },
  bench: { values: ['backend', 'steps'], flags: [], run: benchCommand },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`${USAGE}\n`);
    return name === undefined || name === '--help' || name === 'help' ? 0 : 2;
  }
  try {
    return await command.run(parseArgs(rest, command));
  } catch (err) {
    const known = [UsageError, CorpusError, CheckpointError, TrainingError, BackendError].some((E) => err instanceof E);
    process.stderr.write(`\ncharlens ${name}: ${known ? (err as Error).message : (err as Error).stack}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
