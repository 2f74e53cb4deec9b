/**
 * How likely a suggestion cut is to be right, learned from the model's own
 * validation text: a logistic regression on what the beam's tree says of
 * the cut. The model's probability of the cut (q) alone ranks cuts of the
 * same length well but misjudges long ones against short ones and those
 * that hang on one unsure character; the tree's other figures correct it
 * (bench accuracy on kernel/: README, Suggestions).
 */

/** A cut as the tree describes it: the figures the scorer reads. */
export interface CutShape {
  /** P(the text, then a token ends). */
  q: number;
  /** Its length in characters. */
  length: number;
  /** Its least probable character, given those before it. */
  leastSure: number;
  /** P(a token ends right after it | its text). */
  tokenEnds: number;
  /** P(its line ends right after it | its text). */
  lineEnds: number;
}

/** Standardized features, then weights: weights[0] is the bias. */
export interface CutScorer {
  mean: number[];
  scale: number[];
  weights: number[];
}

const logit = (p: number) => {
  const c = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(c / (1 - c));
};

/** What the scorer reads of a cut; the product term lets length weigh differently at each confidence. */
export function cutFeatures(c: CutShape): number[] {
  const lq = logit(c.q);
  const ll = Math.log(c.length);
  return [lq, ll, logit(c.leastSure), Math.log(Math.max(1e-6, c.tokenEnds)), c.lineEnds, lq * ll];
}

export const CUT_FEATURES = 6;

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** P(the cut is right) by the scorer. */
export function scoreCut(scorer: CutScorer, features: readonly number[]): number {
  let z = scorer.weights[0];
  for (let j = 0; j < features.length; j++) z += (scorer.weights[j + 1] * (features[j] - scorer.mean[j])) / scorer.scale[j];
  return sigmoid(z);
}

/**
 * The maximum-likelihood logistic regression of `right` on the features
 * (a little ridge keeps it defined where a feature does not vary), by
 * Newton's method: a handful of exact steps for a few features, the same
 * answer every time.
 */
export function fitCutScorer(examples: readonly { features: readonly number[]; right: boolean }[], ridge = 1e-3, iterations = 25): CutScorer {
  const f = examples[0]?.features.length ?? CUT_FEATURES;
  const n = Math.max(1, examples.length);
  const mean = Array.from({ length: f }, (_, j) => examples.reduce((s, e) => s + e.features[j], 0) / n);
  const scale = mean.map((m, j) => Math.sqrt(examples.reduce((s, e) => s + (e.features[j] - m) ** 2, 0) / n) || 1);
  const rows = examples.map((e) => [1, ...e.features.map((v, j) => (v - mean[j]) / scale[j])]);
  const d = f + 1;
  const w = new Array<number>(d).fill(0);
  for (let it = 0; it < iterations; it++) {
    const gradient = w.map((v, j) => (j > 0 ? ridge : ridge * 1e-3) * n * v);
    // The bias gets a trace of ridge too: where every cut was wrong (or none was seen) it stays finite.
    const hessian = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? (i > 0 ? ridge : ridge * 1e-3) * n : 0)));
    rows.forEach((x, r) => {
      const p = sigmoid(x.reduce((s, v, j) => s + v * w[j], 0));
      const e = p - (examples[r].right ? 1 : 0);
      const curvature = Math.max(p * (1 - p), 1e-9);
      for (let i = 0; i < d; i++) {
        gradient[i] += e * x[i];
        for (let j = 0; j < d; j++) hessian[i][j] += curvature * x[i] * x[j];
      }
    });
    const step = solve(hessian, gradient);
    let moved = 0;
    for (let j = 0; j < d; j++) {
      w[j] -= step[j];
      moved = Math.max(moved, Math.abs(step[j]));
    }
    if (moved < 1e-9) break;
  }
  return { mean, scale, weights: w };
}

/** Solves a x = b for a small symmetric positive definite a (Gaussian elimination with partial pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const d = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < d; c++) {
    let pivot = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) pivot = r;
    [m[c], m[pivot]] = [m[pivot], m[c]];
    for (let r = c + 1; r < d; r++) {
      const k = m[r][c] / m[c][c];
      for (let j = c; j <= d; j++) m[r][j] -= k * m[c][j];
    }
  }
  const x = new Array<number>(d).fill(0);
  for (let r = d - 1; r >= 0; r--) {
    let s = m[r][d];
    for (let j = r + 1; j < d; j++) s -= m[r][j] * x[j];
    x[r] = s / m[r][r];
  }
  return x;
}

/** A scorer read from mixture.json, if it is whole. */
export function checkCutScorer(u: unknown): CutScorer | undefined {
  const s = u as Partial<CutScorer> | undefined;
  const finite = (a: unknown, length: number) => Array.isArray(a) && a.length === length && a.every(Number.isFinite);
  return s && finite(s.mean, CUT_FEATURES) && finite(s.scale, CUT_FEATURES) && finite(s.weights, CUT_FEATURES + 1) && s.scale!.every((v) => v > 0) ? (s as CutScorer) : undefined;
}
