#!/usr/bin/env node
import { UserError } from './core/userError';
import { CommandArgs, nearest, parseCommand } from './cli/args';
import { COMMANDS, CommandName } from './cli/commandSpecs';
import { exploreCommand, sampleCommand, trainCommand } from './cli/commands';
import { evalCommand } from './cli/evalCommand';
import { commandHelp, overview } from './cli/help';
import { ngramCommand } from './cli/ngramReport';
import { benchCommand } from './cli/bench';
import { whyCommand } from './cli/whyCommand';

const RUN: Record<CommandName, (args: CommandArgs) => Promise<number>> = {
  train: trainCommand,
  sample: sampleCommand,
  eval: evalCommand,
  ngram: ngramCommand,
  explore: exploreCommand,
  why: whyCommand,
  bench: benchCommand,
};

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'help' && argv.length > 1) return main([argv[1], '--help']);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${overview(COMMANDS)}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const guess = nearest(name, COMMANDS.map((c) => c.name));
    process.stderr.write(`charlens: unknown command '${name}'${guess ? `; did you mean ${guess}?` : ''}\n\n${overview(COMMANDS)}\n`);
    return 2;
  }
  try {
    const args = parseCommand(command, rest);
    if (args === 'help') {
      process.stdout.write(`${commandHelp(command)}\n`);
      return 0;
    }
    return await RUN[command.name as CommandName](args);
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
