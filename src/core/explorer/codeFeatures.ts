/**
 * Facts about code, one value per character, for the neuron explorer to
 * correlate with LSTM cells. "Character" means code point, as the model
 * reads text, so entry i lines up with the model's i-th step.
 *
 * Each value describes the text read so far, up to and including character
 * i: what the model's state after reading it could know. So an opening quote
 * is already inside its string and the closing quote is outside again, a
 * delimiter of several characters (`//`, `/*`, `"""`) switches on its last
 * character, and a newline starts the next line (column 0, indentation 0).
 * The one feature that looks ahead is the distance to the line's end, which
 * the model can only estimate.
 */
export const FEATURE_NAMES = ['insideString', 'insideComment', 'parenDepth', 'braceDepth', 'bracketDepth', 'indentation', 'column', 'toLineEnd'] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];
export type CodeFeatures = Record<FeatureName, Float32Array>;

export const FEATURE_LABELS: Record<FeatureName, string> = {
  insideString: 'inside string',
  insideComment: 'inside comment',
  parenDepth: '( ) depth',
  braceDepth: '{ } depth',
  bracketDepth: '[ ] depth',
  indentation: 'indentation',
  column: 'column',
  toLineEnd: 'distance to line end',
};

/**
 * `c`: C, C++, Java, C#, Go, Rust and anything else not listed; `'` starts
 * only a one-character literal ('x', '\n'), so Rust lifetimes ('a) stay code.
 * `js`: JavaScript, TypeScript, PHP; `'` quotes strings. `python`: Python,
 * Ruby, shell; `#` comments, `'` strings and triple quotes.
 */
export type Dialect = 'c' | 'js' | 'python';

export interface FeatureOptions {
  dialect?: Dialect;
  /** Columns a tab advances the indentation to the next multiple of. */
  tabWidth?: number;
}

export const DEFAULT_TAB_WIDTH = 4;

interface Quote {
  delimiter: string;
  /** Raw strings (Go's backquotes) take backslashes literally. */
  escapes: boolean;
  /** Quotes that may span lines; the others end at an unescaped newline, so a stray quote spoils one line at most. */
  multiline: boolean;
}

interface Syntax {
  lineComment: string;
  blockComments: boolean;
  /** Longer delimiters first, so `"""` is not read as `""` then `"`. */
  quotes: Quote[];
  charLiterals: boolean;
}

const quote = (delimiter: string, multiline = false, escapes = true): Quote => ({ delimiter, escapes, multiline });

const SYNTAX: Record<Dialect, Syntax> = {
  c: { lineComment: '//', blockComments: true, charLiterals: true, quotes: [quote('"'), quote('`', true, false)] },
  js: { lineComment: '//', blockComments: true, charLiterals: false, quotes: [quote('"'), quote("'"), quote('`', true)] },
  python: { lineComment: '#', blockComments: false, charLiterals: false, quotes: [quote('"""', true), quote("'''", true), quote('"'), quote("'")] },
};

const DIALECT_EXTENSIONS: Record<Exclude<Dialect, 'c'>, string[]> = {
  js: ['.js', '.jsx', '.mjs', '.cjs', '.ts', '.tsx', '.php'],
  python: ['.py', '.pyi', '.rb', '.sh', '.bash'],
};

export function dialectOf(fileName: string): Dialect {
  const lower = fileName.toLowerCase();
  for (const [dialect, extensions] of Object.entries(DIALECT_EXTENSIONS)) {
    if (extensions.some((e) => lower.endsWith(e))) return dialect as Dialect;
  }
  return 'c';
}

export function codeFeatures(text: string, options: FeatureOptions = {}): CodeFeatures {
  const chars = Array.from(text);
  const features = Object.fromEntries(FEATURE_NAMES.map((name) => [name, new Float32Array(chars.length)])) as CodeFeatures;
  lexStringsCommentsAndBrackets(chars, SYNTAX[options.dialect ?? 'c'], features);
  measureLines(chars, options.tabWidth ?? DEFAULT_TAB_WIDTH, features);
  return features;
}

const startsAt = (chars: string[], i: number, s: string): boolean => {
  for (let k = 0; k < s.length; k++) if (chars[i + k] !== s[k]) return false;
  return true;
};

type DepthName = 'parenDepth' | 'braceDepth' | 'bracketDepth';
const DEPTH_CHANGE = new Map<string, [DepthName, number]>([
  ['(', ['parenDepth', 1]],
  [')', ['parenDepth', -1]],
  ['{', ['braceDepth', 1]],
  ['}', ['braceDepth', -1]],
  ['[', ['bracketDepth', 1]],
  [']', ['bracketDepth', -1]],
]);
const DEPTH_NAMES: DepthName[] = ['parenDepth', 'braceDepth', 'bracketDepth'];

type Mode = { kind: 'code' } | { kind: 'lineComment' } | { kind: 'blockComment' } | { kind: 'string'; quote: Quote };

function lexStringsCommentsAndBrackets(chars: string[], syntax: Syntax, out: CodeFeatures): void {
  const { insideString, insideComment } = out;
  const depth: Record<DepthName, number> = { parenDepth: 0, braceDepth: 0, bracketDepth: 0 };
  let mode: Mode = { kind: 'code' };
  // Marks a delimiter of `length` characters at i: the state switches to `after` on its last character.
  const delimiter = (target: Float32Array, i: number, length: number, after: 0 | 1) => {
    target.fill(1 - after, i, i + length - 1);
    target[i + length - 1] = after;
    return i + length;
  };
  let i = 0;
  while (i < chars.length) {
    const start = i;
    const ch = chars[i];
    if (mode.kind === 'code') {
      const opener = syntax.quotes.find((q) => startsAt(chars, i, q.delimiter));
      const literal = syntax.charLiterals && ch === "'" ? charLiteralLength(chars, i) : 0;
      if (startsAt(chars, i, syntax.lineComment)) {
        mode = { kind: 'lineComment' };
        i = delimiter(insideComment, i, syntax.lineComment.length, 1);
      } else if (syntax.blockComments && startsAt(chars, i, '/*')) {
        mode = { kind: 'blockComment' };
        i = delimiter(insideComment, i, 2, 1);
      } else if (opener) {
        mode = { kind: 'string', quote: opener };
        i = delimiter(insideString, i, opener.delimiter.length, 1);
      } else if (literal > 0) {
        i = delimiter(insideString, i, literal, 0);
      } else {
        const change = DEPTH_CHANGE.get(ch);
        // Clamped: a sample may start inside brackets it never saw open.
        if (change) depth[change[0]] = Math.max(0, depth[change[0]] + change[1]);
        i++;
      }
    } else if (mode.kind === 'lineComment') {
      insideComment[i] = ch === '\n' ? 0 : 1;
      if (ch === '\n') mode = { kind: 'code' };
      i++;
    } else if (mode.kind === 'blockComment') {
      if (startsAt(chars, i, '*/')) {
        mode = { kind: 'code' };
        i = delimiter(insideComment, i, 2, 0);
      } else {
        insideComment[i++] = 1;
      }
    } else {
      const q = mode.quote;
      if (q.escapes && ch === '\\') {
        insideString.fill(1, i, i + 2); // the escaped character, a newline included, stays inside
        i += 2;
      } else if (startsAt(chars, i, q.delimiter)) {
        mode = { kind: 'code' };
        i = delimiter(insideString, i, q.delimiter.length, 0);
      } else if (ch === '\n' && !q.multiline) {
        mode = { kind: 'code' };
        i++;
      } else {
        insideString[i++] = 1;
      }
    }
    for (const name of DEPTH_NAMES) out[name].fill(depth[name], start, i);
  }
}

/** Length of the C character literal starting at i ('x', '\n', '\x41', '\u{1F600}'), or 0 when the quote starts none (a Rust lifetime, an apostrophe). */
function charLiteralLength(chars: string[], i: number): number {
  if (chars[i + 1] === '\\') {
    for (let k = i + 3; k < Math.min(chars.length, i + 12) && chars[k] !== '\n'; k++) if (chars[k] === "'") return k - i + 1;
    return 0;
  }
  return chars[i + 1] !== undefined && chars[i + 1] !== '\n' && chars[i + 2] === "'" ? 3 : 0;
}

function measureLines(chars: string[], tabWidth: number, out: CodeFeatures): void {
  const { column, indentation, toLineEnd } = out;
  let lineStart = 0;
  let indent = 0;
  let inLeadingBlanks = true;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === '\n') {
      lineStart = i + 1;
      indent = 0;
      inLeadingBlanks = true;
    } else if (inLeadingBlanks && ch === ' ') {
      indent++;
    } else if (inLeadingBlanks && ch === '\t') {
      indent = (Math.floor(indent / tabWidth) + 1) * tabWidth;
    } else {
      inLeadingBlanks = false;
    }
    column[i] = i + 1 - lineStart;
    indentation[i] = indent;
  }
  let nextNewline = chars.length; // the end of the text ends the last line
  for (let i = chars.length - 1; i >= 0; i--) {
    toLineEnd[i] = nextNewline - i - 1;
    if (chars[i] === '\n') nextNewline = i;
  }
}
