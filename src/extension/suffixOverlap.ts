/**
 * How many characters right of the cursor a completion also writes, so that
 * its item replaces them rather than pushing them right. Typing `for (i = 0;
 * i < ` after the editor auto-closed the paren leaves `)` right of the cursor;
 * the model, which reads only the text before the cursor, writes its own
 * `nr_tags; i++) {`, and inserting that would leave `{)` behind. Like
 * llama.vscode, the item's range then covers the overlapping text.
 *
 * The overlap is the longest start of `rest` that the completion's first line
 * contains and that ends in a non-space character: a lone space the
 * completion happens to contain says nothing about the code after it.
 */
export function replacedSuffix(completion: string, rest: string): number {
  const firstLine = completion.split('\n', 1)[0];
  for (let n = rest.length; n > 0; n--) {
    if (/\s/.test(rest[n - 1])) continue;
    if (firstLine.includes(rest.slice(0, n))) return n;
  }
  return 0;
}
