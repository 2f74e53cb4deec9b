// README.md's generated sections: each sits between <!-- NAME --> and
// <!-- /NAME -->, and the scripts that measure or define what it says
// (quality-tables.mjs, option-tables.mjs, quick-start-figures.mjs) rewrite it.
import * as fs from 'fs';
import * as path from 'path';

export const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
export const readmePath = path.join(root, 'README.md');

/** `text` with the section NAME's body replaced by `body`. */
export function replaceSection(text, name, body) {
  const open = `<!-- ${name} -->`;
  const close = `<!-- /${name} -->`;
  const from = text.indexOf(open);
  const to = text.indexOf(close);
  if (from < 0 || to < from) throw new Error(`README.md has no ${open} ... ${close} section`);
  return `${text.slice(0, from + open.length)}\n${body}\n${text.slice(to)}`;
}

/** Rewrites README.md's sections, `sections` mapping each NAME to its body. */
export function rewriteReadme(sections) {
  let text = fs.readFileSync(readmePath, 'utf8');
  for (const [name, body] of Object.entries(sections)) text = replaceSection(text, name, body);
  fs.writeFileSync(readmePath, text);
}
