import * as fs from 'fs';
import * as path from 'path';
import { Corpus, readCorpus } from '../core/corpus';
import { ParsedArgs, listOption } from './args';

/**
 * The text of a file, or of a folder's source files (--include / --exclude
 * apply). A file named on the command line is read whatever its size: the
 * corpus size cap guards folder scans, not a file the user chose.
 */
export function readTextSource(target: string, args: ParsedArgs): Corpus {
  if (fs.existsSync(target) && fs.statSync(target).isFile()) {
    const glob = path.basename(target).replace(/[*?{}()[\]!+@\\]/g, (c) => `\\${c}`);
    return readCorpus(path.dirname(target), { include: [glob], maxFileBytes: fs.statSync(target).size });
  }
  return readCorpus(target, { include: listOption(args, 'include'), exclude: listOption(args, 'exclude') });
}
