#!/usr/bin/env node
import { UserError } from './core/userError';
import { parseArgs } from './cli/args';
import { exploreCommand, sampleCommand, trainCommand } from './cli/commands';
import { evalCommand } from './cli/evalCommand';
import { TRAIN_NUMBER_OPTIONS } from './cli/trainOptions';
import { ngramCommand } from './cli/ngramReport';
import { benchCommand } from './cli/bench';

const USAGE = `CharLens: character-level LSTMs for code

  charlens train <folder> [--out dir] [--layers 2] [--hidden 128] [--dropout 0] [--seq-length 50]
                          [--batch-size 50] [--lr 0.002] [--epochs 50] [--grad-clip 5] [--val-frac 0.05]
                          [--minutes m] [--max-steps n] [--resume | --force] [--backend auto|wasm|cpu|webgpu|tensorflow|tensorflow-gpu]
                          [--seed 123] [--include glob] [--exclude glob] [--ngram-order 257] [--threads n]
      --hidden left out or 0: the size is chosen, with --minutes as the largest model that reads the
      corpus enough in that time (from a speed probe), else from the corpus size; the line saying so
      comes before the first step. --threads: the wasm trainer's threads. A model already in --out is
      continued with --resume or replaced with --force; without either, train refuses to start.
      After training, an n-gram of the training split and the LSTM/n-gram mixture weight are fitted
      and saved with the model (--ngram-order 0 = no n-gram; 257, the default, the suffix-array model;
      1-64 a Kneser-Ney table of that order).
  charlens sample <model> [--temperature 1] [--prime text] [--length 2000 (at most 1,000,000)] [--seed 123] [--top-k k] [--top-p p] [--argmax]
  charlens eval <model> <folder|file> [--train folder|file] [--val folder|file] [--order 10]
      LSTM loss, then a table of the LSTM, a Kneser-Ney character n-gram and their mixture, static and
      online (learning as it reads), read in one pass with a progress bar. The n-gram counts --train;
      without it it starts empty and learns from the target alone. Mixture weights are fitted on --val,
      or else on the first 10% of the target (at most 1,000,000 chars), which every row then leaves out.
  charlens ngram <train folder|file> <eval folder|file> [--order 3,5,7,10,15,20]
      Kneser-Ney n-gram per order: static and online nats/char, build time, memory, distribution() time.
  charlens explore <model> <folder|file> [--chars 50000] [--top 10]
      Which LSTM cells track strings, comments, bracket depth, indentation, column: cells ranked by the
      correlation of tanh(c) with each, on lines sampled across the target's files; cached in the model folder.
  charlens bench [train|completion|overlay|event-loop]
  charlens bench accuracy <train folder|file> <test folder|file> [--model dir] [--order k] [--cursors 1000] [--seed 1]
                          [--precision 0.7] [--beam-width 4]
      Completion accuracy per predictor (LSTM, n-gram, mixture): greedy completions to the end of the
      line at seeded cursors in the test text, exact-match rate, characters right before the first
      error, and nats/char, static and online. The same path twice: the trainer's held-out split.
      Then per predictor and decoder (greedy line, the beam's best line, the confidence-cut suggestion
      at that precision): how often something is shown, how often it is right, its length, the
      characters a user could accept per cursor, the exact rest-of-line rate and the time per cursor.`;

const COMMON = ['backend', 'include', 'exclude'];
const COMMANDS: Record<string, { values: string[]; flags: string[]; run: (a: ReturnType<typeof parseArgs>) => Promise<number> }> = {
  train: { values: [...TRAIN_NUMBER_OPTIONS, ...COMMON, 'out', 'optimizer', 'max-file-bytes', 'ngram-order', 'threads'], flags: ['resume', 'force'], run: trainCommand },
  sample: { values: ['temperature', 'top-k', 'top-p', 'prime', 'seed', 'length', 'stop'], flags: ['argmax'], run: sampleCommand },
  eval: { values: ['include', 'exclude', 'train', 'val', 'order'], flags: [], run: evalCommand },
  ngram: { values: ['include', 'exclude', 'order'], flags: [], run: ngramCommand },
  explore: { values: ['include', 'exclude', 'chars', 'top'], flags: [], run: exploreCommand },
  bench: { values: ['backend', 'steps', 'model', 'order', 'cursors', 'seed', 'json', 'precision', 'beam-width'], flags: ['while-training'], run: benchCommand },
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
    // The user can act on a UserError's message; anything else is a bug, and its stack is what a report needs.
    if (err instanceof UserError) {
      process.stderr.write(`\ncharlens ${name}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`\ncharlens ${name}: ${err instanceof Error ? err.stack : String(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
