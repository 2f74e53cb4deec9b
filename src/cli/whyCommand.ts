import { Attributor, attribute } from '../core/explain/attribution';
import { describeContribution, strongest } from '../core/explain/contributions';
import { loadCheckpoint } from '../core/model/checkpoint';
import { InferenceModel } from '../core/model/inference';
import { DocumentTrace } from '../core/predict/documentTrace';
import { CommandArgs, UsageError } from './args';
import { readTextSource } from './readText';

export const DEFAULT_WHY_TOP = 10;
export const DEFAULT_CLI_WHY_WINDOW = 500;

/** A character as the CLI prints it: quoted, with escapes for whitespace. */
const quoted = (char: string) => JSON.stringify(char);

/** 1-based line and column (UTF-16) of `offset` in `text`. */
function lineColumn(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return `line ${line}, column ${offset - lineStart + 1}`;
}

/** `charlens why <model> <file> --at <offset>`: the characters before the offset that drove the model's prediction there, strongest first. */
export async function whyCommand(args: CommandArgs): Promise<number> {
  const [dir, file] = args.positional;
  const at = args.number('at');
  if (!dir || !file || at === undefined) throw new UsageError('why needs a model, a file and an offset: charlens why <model> <file> --at <offset> [--window n] [--top k] [--guess]');
  const checkpoint = loadCheckpoint(dir);
  const { text } = readTextSource(file, args);
  if (at > text.length) throw new UsageError(`--at ${at} is past the end of ${file} (${text.length} characters as CharLens reads it, line ends as \\n)`);
  const model = InferenceModel.of(checkpoint);
  // The editor's own reading, so the figures are the ones Why This Prediction shows for the same text.
  const trace = new DocumentTrace(model, checkpoint.vocabulary);
  const guess = args.flag('guess') || at === text.length;
  const window = args.number('window') ?? DEFAULT_CLI_WHY_WINDOW;
  const why = attribute(new Attributor(model, checkpoint.weights), model, checkpoint.vocabulary, text, at, (offset) => trace.stateBefore(text, offset), { guess, window });
  const what = guess ? `its top guess ${quoted(why.char)}` : quoted(why.char);
  process.stdout.write(`The model gives ${what} ${(why.probability * 100).toFixed(1)}% at offset ${at} (${lineColumn(text, at)}).\n`);
  process.stdout.write(`What each of the ${why.window.length} characters before it contributed to log p (against an average character, nats), strongest first:\n`);
  for (const c of strongest(why.window, args.number('top') ?? DEFAULT_WHY_TOP)) process.stdout.write(`  ${describeContribution(c, quoted).padEnd(44)} ${lineColumn(text, c.offset)}\n`);
  return 0;
}
