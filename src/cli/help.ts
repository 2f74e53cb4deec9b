import { CommandSpec, OptionSpec, rangeText } from './args';

/** `--help`, written from the same definitions that parse the options (commandSpecs.ts). */

const WIDTH = 100;
const OPTION_COLUMN = 30;

/** `text` wrapped to WIDTH columns, every line after `indent` spaces. */
function wrap(text: string, indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.map((l) => ' '.repeat(indent) + l).join('\n');
}

const plain = (text: string) => text.replace(/`/g, '');
const signature = (o: OptionSpec) => `--${o.name}${o.value ? ` <${o.value}>` : ''}`;

/** The option's meaning with what help and the README add: the choices or the allowed range, the default. */
function optionMeaning(o: OptionSpec): string {
  const allowed = o.choices ? ` One of ${o.choices.join(', ')}.` : o.range ? ` ${capitalise(rangeText(o.range))}.` : '';
  return `${o.meaning}.${allowed}${o.default ? ` Default: ${o.default}.` : ''}`;
}

const capitalise = (s: string) => s[0].toUpperCase() + s.slice(1);

export function commandHelp(c: CommandSpec): string {
  const lines = [`charlens ${c.name} ${c.args} [options]`, '', wrap(`${capitalise(c.summary)}.`, 2)];
  if (c.details) lines.push('', wrap(plain(c.details), 2));
  lines.push('', 'Options:');
  for (const o of [...c.options, { name: 'help', kind: 'flag', meaning: 'this help' } as OptionSpec]) {
    const left = `  ${signature(o)}`;
    const meaning = wrap(plain(optionMeaning(o)), OPTION_COLUMN);
    lines.push(left.length < OPTION_COLUMN - 1 ? left.padEnd(OPTION_COLUMN) + meaning.trimStart() : `${left}\n${meaning}`);
  }
  return lines.join('\n');
}

export function overview(commands: readonly CommandSpec[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 4;
  return [
    'CharLens: character-level LSTMs for code',
    '',
    'Usage: charlens <command> [arguments] [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'charlens <command> --help lists a command\'s arguments and options.',
  ].join('\n');
}

/** The command's options as the README's markdown table. */
export function optionTable(c: CommandSpec): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = c.options.map((o) => {
    const allowed = o.choices ? `; one of ${o.choices.map((x) => `\`${x}\``).join(', ')}` : o.range ? `; ${rangeText(o.range)}` : '';
    return `| \`${signature(o)}\` | ${cell(o.default ?? '')} | ${cell(o.meaning + allowed)} |`;
  });
  return ['| option | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
