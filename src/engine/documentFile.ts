import * as fs from 'fs';
import { fileURLToPath } from 'url';
import { DEFAULT_MAX_FILE_BYTES, scanFile } from '../core/text/corpus';
import type { AllowedFolders } from './allowedFolders';

/**
 * A document's whole text, to tell which of the files the n-gram was built
 * from it is (the text an overlay sends stops at the view): its file as
 * saved, read as the corpus reads files, when it is a file in the
 * workspace and not too big to have been read into it; else the text sent.
 */
export function documentFileText(documentId: string, sent: string, folders: AllowedFolders | undefined): string {
  const uri = URL.canParse(documentId) ? new URL(documentId) : undefined;
  if (!folders || uri?.protocol !== 'file:') return sent;
  const file = fileURLToPath(uri);
  const inWorkspace = (() => {
    try {
      folders.corpus(file, 'documentId');
      return fs.statSync(file).size <= DEFAULT_MAX_FILE_BYTES;
    } catch {
      // Outside the workspace, or gone since it was opened: the text sent is all there is.
      return false;
    }
  })();
  if (!inWorkspace) return sent;
  let text = sent;
  scanFile(file, (read) => (text = read));
  return text;
}
