import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../atomicFile';
import { Split } from '../text/batches';
import { DynamicMixture, fitDynamicMixture } from './dynamicEvaluation';
import { InferenceModel } from '../model/inference';
import { GATE_INPUTS, Gate, checkGate, fitGate, gateInputs, gateWeightAt, gatedProbabilities, fitMixtureWeight, meanNats, mixProbabilities, scoreWithLstm } from './mixture';
import { Vocabulary } from '../text/vocabulary';
import { NgramReader, CharNgram as Ngram, loadNgram, ngramFromBuffer } from '../ngram/charNgram';
import { AnsweringPredictor } from './answering';
import { SuggestionFit, checkSuggestionFit } from './suggestion';
import { fitSuggestions } from './suggestionFit';
import { SuffixNgram } from '../ngram/suffixNgram';
import { NGRAM_FILE } from '../ngram/workspaceNgram';

export const MIXTURE_FILE = 'mixture.json';
/** Validation characters read to fit the mixture weight (more changes the weight little and costs seconds). */
const MAX_FIT_CHARS = 100_000;

export interface MixtureInfo {
  /** Weight of the LSTM in the mixture; 1 = the LSTM alone, 0 = the n-gram alone. */
  weightOfLstm: number;
  /** Validation nats/char of each, on the first MAX_FIT_CHARS characters of the validation split (the second half of them for the suffix-array n-gram, whose discounts the first half fits). */
  valNats: { lstm: number; ngram: number; mixture: number };
  /**
   * The learned mixer (see Gate in mixture.ts), fitted on the same
   * validation characters read online (the n-gram reads each one after
   * predicting it, as it reads a document in the editor), with the nats/char
   * there of the n-gram, the global weight's mixture and the gate's. Files
   * from before it have neither: the global weight mixes.
   */
  gate?: Gate;
  online?: { ngram: number; mixture: number; gated: number };
  /** Dynamic evaluation fitted on the same characters and the mixer fitted for it (see DynamicMixture); files from before it run the LSTM static. */
  dynamicEvaluation?: DynamicMixture;
  /** The suggestion's precision curve, fitted on the same characters with the answering predictor (see suggestionFit.ts); files from before it take the precision as the threshold. */
  suggestions?: SuggestionFit;
  order: number;
}

/**
 * Fits the LSTM/n-gram mixture weight on the validation split and saves the
 * n-gram and the weight beside the LSTM checkpoint in `dir`, with the
 * suggestion's precision curve of the predictor they make. Then the n-gram
 * also reads the validation and test text, as the editor will have.
 */
export function fitAndSaveMixture(dir: string, lstm: InferenceModel, vocabulary: Vocabulary, ngram: Ngram, split: Pick<Split, 'val' | 'test'>): MixtureInfo {
  const fitted = split.val.subarray(0, MAX_FIT_CHARS);
  // The suffix-array model's discounts are fitted on the first half read online (as the editor reads), so the mixture is fitted on the second half, text they never saw, after it.
  let fit = fitted;
  if (ngram instanceof SuffixNgram) {
    fit = fitted.subarray(fitted.length >> 1);
    ngram.fitDiscounts(fitted.subarray(0, fitted.length >> 1), { online: true });
  }
  const pLstm = scoreWithLstm(lstm, fitted).subarray(fitted.length - fit.length);
  const pNgram = ngram.score(fit);
  const weightOfLstm = fit.length > 0 ? fitMixtureWeight(pLstm, pNgram) : 1;
  const info: MixtureInfo = {
    weightOfLstm,
    valNats: { lstm: meanNats(pLstm), ngram: meanNats(pNgram), mixture: meanNats(mixProbabilities(pLstm, pNgram, weightOfLstm)) },
    order: ngram.order,
  };
  // The suggestions are fitted as the editor reads a document the n-gram has not learnt: a copy from before it reads the fitted characters.
  const unread = fit.length > 0 ? ngramFromBuffer(ngram.toBuffer()) : undefined;
  const online = scoreWithGateInputs(ngram, fit, true);
  if (fit.length > 0) {
    info.gate = fitGate(online.rows, pLstm, online.probs);
    const onlineWeight = fitMixtureWeight(pLstm, online.probs);
    info.online = { ngram: meanNats(online.probs), mixture: meanNats(mixProbabilities(pLstm, online.probs, onlineWeight)), gated: meanNats(gatedProbabilities(info.gate, online.rows, pLstm, online.probs)) };
    info.dynamicEvaluation = fitDynamicMixture(lstm, fit, online);
    info.suggestions = fitSuggestions(new AnsweringPredictor(lstm, vocabulary, { ngram: unread!, info }), vocabulary.decode(fit));
  }
  // It has read the fitted characters already.
  ngram.learnSequence(split.val.subarray(fitted.length));
  ngram.learnSequence(split.test);
  ngram.save(path.join(dir, NGRAM_FILE));
  writeFileAtomic(path.join(dir, MIXTURE_FILE), JSON.stringify(info, null, 2));
  return info;
}

/** The n-gram and mixture saved beside a checkpoint, if both are there and readable; `unreadable` hears why not when they are there. */
export function loadMixture(dir: string, unreadable?: (why: string) => void): { ngram: Ngram; info: MixtureInfo } | undefined {
  const ngramFile = path.join(dir, NGRAM_FILE);
  const mixtureFile = path.join(dir, MIXTURE_FILE);
  if (!fs.existsSync(ngramFile) || !fs.existsSync(mixtureFile)) return undefined;
  try {
    const info = JSON.parse(fs.readFileSync(mixtureFile, 'utf8')) as MixtureInfo;
    if (!(info.weightOfLstm >= 0 && info.weightOfLstm <= 1)) throw new Error(`${MIXTURE_FILE} has no LSTM weight between 0 and 1`);
    // A gate of another version (or damaged) leaves the global weight, as in files from before gates.
    const gate = checkGate(info.gate);
    return { ngram: loadNgram(ngramFile), info: { ...info, gate, suggestions: checkSuggestionFit(info.suggestions) } };
  } catch (err) {
    // A damaged n-gram, or one from another version of CharLens, only costs the mixture: the LSTM answers alone.
    unreadable?.((err as Error).message);
    return undefined;
  }
}

/** What the UI says is answering. */
export function answeringLabel(info?: MixtureInfo): string {
  if (info?.gate) return 'LSTM + n-gram, mixed by how the n-gram matched';
  if (!info || info.weightOfLstm > 0.99) return 'LSTM';
  if (info.weightOfLstm < 0.01) return 'n-gram';
  return `LSTM + n-gram (${Math.round(info.weightOfLstm * 100)}% LSTM)`;
}

/** The answering predictor's validation figures (see answeringLabel): the gate's online, else the global weight's. */
export function validationFigures(info: MixtureInfo): { answering: number; lstm: number; ngram: number; online: boolean } {
  const { valNats, gate, online } = info;
  if (gate && online) return { answering: online.gated, lstm: valNats.lstm, ngram: online.ngram, online: true };
  const answering = info.weightOfLstm > 0.99 ? valNats.lstm : info.weightOfLstm < 0.01 ? valNats.ngram : valNats.mixture;
  return { answering, lstm: valNats.lstm, ngram: valNats.ngram, online: false };
}

/**
 * P(ids[i] | ids[0..i)) under the n-gram, and the learned mixer's inputs
 * from its match there (GATE_INPUTS per character); online, it reads each
 * character after predicting it.
 */
export function scoreWithGateInputs(ngram: Ngram, ids: Int32Array, online: boolean): { probs: Float32Array; rows: Float32Array } {
  const probs = new Float32Array(ids.length);
  const rows = new Float32Array(ids.length * GATE_INPUTS);
  for (let i = 0; i < ids.length; i++) {
    // One character at a time with its context, so that online the short-context table counts it in context (as score does).
    const from = Math.max(0, i - ngram.order);
    probs[i] = ngram.score(ids.subarray(from, i + 1), { online, from: i - from })[0];
    gateInputs(ngram.path, rows, i * GATE_INPUTS);
  }
  return { probs, rows };
}

/**
 * Per UTF-16 offset in [from, to): the n-gram's probability of the character
 * there given the text before it (its last order - 1 characters), as the
 * prediction overlay draws it; mixed with the LSTM's `lstm` (per offset
 * from `from`) when a mixture is given, by its gate if it has one.
 * `readOn` hears each character after it is predicted (a document's reader).
 */
export function ngramProbabilities(
  ngram: NgramReader,
  vocabulary: Vocabulary,
  text: string,
  from: number,
  to: number,
  options: { readOn?: (ch: string) => void; mix?: { lstm: Float32Array; weightOfLstm: number; gate?: Gate } } = {},
): Float32Array {
  const out = new Float32Array(to - from);
  const context = Array.from(vocabulary.encode(text.slice(Math.max(0, from - 4 * ngram.order), from)).slice(-ngram.order));
  const { mix, readOn } = options;
  const scratch = new Float64Array(GATE_INPUTS);
  let at = from;
  for (const ch of text.slice(from, to)) {
    const id = vocabulary.idOf(ch);
    let p = ngram.probability(context, id);
    if (mix) {
      const w = mix.gate ? gateWeightAt(mix.gate, ngram.path, scratch) : mix.weightOfLstm;
      p = w * mix.lstm[at - from] + (1 - w) * p;
    }
    out.fill(p, at - from, at - from + ch.length);
    context.push(id);
    if (context.length > ngram.order) context.shift();
    readOn?.(ch);
    at += ch.length;
  }
  return out;
}
