import { parseArgs } from 'util';
import { UserError } from '../core/userError';

/**
 * The command line's options, defined once: Node's util.parseArgs reads
 * them, and the same definitions write `--help` and the README's option
 * tables (help.ts), so what is parsed, what is shown and what is checked
 * cannot drift apart. util.parseArgs rather than commander or yargs: it
 * ships with Node (>= 20, which package.json already requires), so the CLI
 * adds no dependency to the bundle; what it leaves out (help, suggestions,
 * number ranges) is the part these definitions exist for.
 */
export interface OptionSpec {
  /** kebab-case, without the dashes. */
  name: string;
  kind: 'number' | 'string' | 'list' | 'flag';
  /** Placeholder in the usage line: `--out <dir>`. */
  value?: string;
  /** The default in words, as help and the README show it (absent: none). */
  default?: string;
  meaning: string;
  /** Numbers outside it are refused with a message that names it. */
  range?: NumberRange;
  choices?: readonly string[];
}

export interface NumberRange {
  min: number;
  max: number;
  integer?: boolean;
  /** One more allowed value outside [min, max] (0 for "off", 257 for the suffix-array n-gram). */
  or?: number;
}

export interface CommandSpec {
  name: string;
  /** Positional arguments, as the usage line shows them: `<model> <folder|file>`. */
  args: string;
  summary: string;
  /** Paragraphs after the usage line. */
  details?: string;
  options: OptionSpec[];
}

export class UsageError extends UserError {}

/** What `--help` and `-h` set; every command takes them. */
export const HELP_OPTION = 'help';

/** The nearest of `names` to a mistyped `name`, when it is near enough to be what was meant. */
export function nearest(name: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of names) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Levenshtein distance with adjacent transpositions counted as one edit ("smaple" is one from "sample"). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** "a whole number from 1 to 256", "0 or a number from 0.1 to 100,000". */
export function rangeText(r: NumberRange): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const span = `${r.integer ? 'a whole number' : 'a number'} from ${n(r.min)} to ${n(r.max)}`;
  if (r.or === undefined) return span;
  return r.or < r.min ? `${n(r.or)} or ${span}` : `${span}, or ${n(r.or)}`;
}

/** The parsed command line of one command: positional arguments and checked options. */
export class CommandArgs {
  constructor(
    readonly command: CommandSpec,
    readonly positional: string[],
    private readonly values: Map<string, string[]>,
  ) {}

  has(name: string): boolean {
    return this.values.has(this.spec(name).name);
  }

  /** The last value given (a repeated option overrides the earlier ones). */
  string(name: string): string | undefined {
    return this.values.get(this.spec(name).name)?.at(-1);
  }

  number(name: string): number | undefined {
    const spec = this.spec(name);
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be ${spec.range ? rangeText(spec.range) : 'a number'}, got '${raw}'`);
    const r = spec.range;
    if (r && n !== r.or && !(n >= r.min && n <= r.max && (!r.integer || Number.isInteger(n)))) throw new UsageError(`--${name} must be ${rangeText(r)}, got ${raw}`);
    return n;
  }

  /** Repeated or comma-separated values: `--include '**\/*.c' --include '**\/*.h'` or `--include '**\/*.c,**\/*.h'`. */
  list(name: string): string[] | undefined {
    return this.values
      .get(this.spec(name).name)
      ?.flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter((v) => v.length > 0);
  }

  flag(name: string): boolean {
    return this.values.has(this.spec(name).name);
  }

  /** Every option of the command is read through its definition: a name that has none is a bug here, not a user error. */
  private spec(name: string): OptionSpec {
    const spec = this.command.options.find((o) => o.name === name);
    if (!spec) throw new Error(`charlens ${this.command.name} has no option --${name}`);
    return spec;
  }
}

/**
 * Parses `argv` (what follows the command name) against the command's
 * definitions. Unknown options are refused with the nearest known one, a
 * value-taking option without a value is refused, and numbers and choices
 * are checked here, before anything is read, so a typo costs nothing.
 * Returns 'help' when --help or -h was given.
 */
export function parseCommand(command: CommandSpec, argv: string[]): CommandArgs | 'help' {
  const config = Object.fromEntries(command.options.map((o) => [o.name, o.kind === 'flag' ? { type: 'boolean' as const } : { type: 'string' as const, multiple: true }]));
  const { tokens } = parseArgs({ args: argv, options: { ...config, [HELP_OPTION]: { type: 'boolean', short: 'h' } }, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((t) => t.kind === 'option' && t.name === HELP_OPTION)) return 'help';
  const positional: string[] = [];
  const values = new Map<string, string[]>();
  for (const token of tokens) {
    if (token.kind === 'positional') positional.push(token.value);
    if (token.kind !== 'option') continue;
    const spec = command.options.find((o) => o.name === token.name);
    if (!spec) {
      const guess = nearest(token.name, command.options.map((o) => o.name));
      throw new UsageError(`Unknown option ${token.rawName} for ${command.name}${guess ? `; did you mean --${guess}?` : ''} (charlens ${command.name} --help lists its options)`);
    }
    if (spec.kind === 'flag') {
      if (token.inlineValue) throw new UsageError(`--${spec.name} is a switch and takes no value, got '${token.rawName}=${token.value}'`);
      values.set(spec.name, ['true']);
      continue;
    }
    const value = token.value;
    if (value === undefined || (!token.inlineValue && /^--[a-z]/.test(value))) {
      throw new UsageError(`--${spec.name} needs a value${spec.value ? ` (${spec.value})` : ''}${value ? `; got the option ${value} (write --${spec.name}=${value} if that is the value)` : ''}`);
    }
    values.set(spec.name, [...(values.get(spec.name) ?? []), value]);
  }
  const args = new CommandArgs(command, positional, values);
  for (const spec of command.options) {
    if (!args.has(spec.name)) continue;
    if (spec.kind === 'number') args.number(spec.name);
    const chosen = args.string(spec.name)!;
    if (spec.choices && !spec.choices.includes(chosen)) {
      const guess = nearest(chosen, spec.choices);
      throw new UsageError(`--${spec.name} must be one of ${spec.choices.join(', ')}, got '${chosen}'${guess ? `; did you mean ${guess}?` : ''}`);
    }
  }
  return args;
}
