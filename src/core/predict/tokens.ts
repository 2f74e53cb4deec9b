/** Where code may be cut into tokens, for the suggestion's cut (suggestion.ts): characters of identifiers and numbers, and blanks. */
export const isWordChar = (ch: string): boolean => /[\p{L}\p{N}_$]/u.test(ch);
export const isBlank = (ch: string): boolean => ch === ' ' || ch === '\t';

/** Whether text may be cut between characters a and b: not inside an identifier or number, not inside a run of blanks. */
export function isTokenBoundary(a: string, b: string): boolean {
  return !(isWordChar(a) && isWordChar(b)) && !(isBlank(a) && isBlank(b));
}
