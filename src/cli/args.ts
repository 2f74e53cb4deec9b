import { UserError } from '../core/userError';

/**
 * A small argv parser: positional arguments, `--name value`, `--name=value`
 * and boolean `--flag`. Repeated options accumulate. Unknown options are an
 * error that lists the known ones, so a typo never silently trains with a
 * default.
 */
export interface ParsedArgs {
  positional: string[];
  options: Map<string, string[]>;
}

export class UsageError extends UserError {}

export function parseArgs(argv: string[], known: { values: string[]; flags: string[] }): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    let value: string;
    if (known.flags.includes(name)) {
      value = eq >= 0 ? arg.slice(eq + 1) : 'true';
    } else if (known.values.includes(name)) {
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`--${name} needs a value`);
    } else {
      const all = [...known.values, ...known.flags].map((k) => `--${k}`).join(' ');
      throw new UsageError(`Unknown option --${name}. Options: ${all}`);
    }
    options.set(name, [...(options.get(name) ?? []), value]);
  }
  return { positional, options };
}

export function numberOption(args: ParsedArgs, name: string): number | undefined {
  const raw = args.options.get(name)?.at(-1);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${raw}'`);
  return n;
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  return args.options.get(name)?.at(-1);
}

/** Repeated or comma-separated values: `--include '**\/*.c' --include '**\/*.h'` or `--include '**\/*.c,**\/*.h'`. */
export function listOption(args: ParsedArgs, name: string): string[] | undefined {
  const values = args.options.get(name);
  return values?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
}

export function flag(args: ParsedArgs, name: string): boolean {
  const v = args.options.get(name)?.at(-1);
  return v !== undefined && v !== 'false';
}
