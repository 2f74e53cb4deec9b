import * as fs from 'fs';
import { Corpus, CorpusError, CorpusReport, scanCorpus, scanFile } from '../core/text/corpus';
import { fileErrorReason } from '../core/userError';
import { CommandArgs } from './args';

/**
 * The text of a file, or of a folder's source files (--include / --exclude
 * apply). A file named on the command line is read whatever its size: the
 * corpus size cap guards folder scans, not a file the user chose.
 */
export function readTextSource(target: string, args: CommandArgs): Corpus {
  const parts: string[] = [];
  const report = scanTextSource(target, args, (text) => parts.push(text));
  return { text: parts.join(''), report };
}

/** As readTextSource, handing the text over one file at a time, or without `onText` only the report (see scanCorpus). */
export function scanTextSource(target: string, args: CommandArgs, onText?: (text: string) => void): CorpusReport {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch (err) {
    throw new CorpusError(`Cannot read ${target}: ${fileErrorReason(err) ?? (err as Error).message}`);
  }
  if (stat.isFile()) return scanFile(target, onText);
  if (!stat.isDirectory()) throw new CorpusError(`Cannot read ${target}: not a file or a folder`);
  return scanCorpus(target, { include: args.list('include'), exclude: args.list('exclude') }, onText);
}
