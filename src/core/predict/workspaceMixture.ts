import * as fs from 'fs';
import * as path from 'path';
import { BoundFileError, readBoundBytes, readBoundJson, stageBoundBytes, stageBoundJson } from '../model/boundFile';
import { Checkpoint } from '../model/checkpoint';
import { Split, spreadSample } from '../text/batches';
import { DynamicMixture, fitDynamicMixture } from './dynamicEvaluation';
import { InferenceModel } from '../model/inference';
import { GATE_INPUTS, Gate, checkGate, fitGate, gateInputs, gateWeightAt, gatedProbabilities, fitMixtureWeight, meanNats, mixProbabilities, scoreWithLstm } from './mixture';
import { Vocabulary } from '../text/vocabulary';
import { NgramReader, CharNgram as Ngram, ngramFromBuffer } from '../ngram/charNgram';
import { AnsweringPredictor } from './answering';
import { SuggestionFit, checkSuggestionFit } from './suggestion';
import { fitSuggestions } from './suggestionFit';
import { SuffixNgram } from '../ngram/suffixNgram';
import { NGRAM_FILE } from '../ngram/workspaceNgram';
import { NgramFileError } from '../ngram/ngramFileError';

export const MIXTURE_FILE = 'mixture.json';
/** Validation characters read to fit the mixture weight, spread over the validation blocks (more changes the weight little and costs seconds). */
export const MAX_FIT_CHARS = 100_000;
/**
 * What fitting costs, in one-character LSTM steps per fitted character
 * (scoring, the dynamic-evaluation grid on its first part and its full
 * pass): measured at about 7 on the shipped model; the budget plans with it.
 */
export const FIT_STEPS_PER_CHAR = 8;

export interface MixtureInfo {
  /** Weight of the LSTM in the mixture; 1 = the LSTM alone, 0 = the n-gram alone. */
  weightOfLstm: number;
  /** Validation nats/char of each, on MAX_FIT_CHARS characters spread over the validation split (the second half of them for the suffix-array n-gram, whose discounts the first half fits). */
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
  /** Validation characters the figures are on (absent in files from before it). */
  fitChars?: number;
}

/** The checkpoint a mixture is fitted for: its folder, and the fingerprint its files are bound to. */
export type MixtureOwner = Pick<Checkpoint, 'dir' | 'fingerprint'>;

/**
 * Fits the LSTM/n-gram mixture weight on the validation split and saves the
 * n-gram and the weight beside the LSTM checkpoint, bound to its weights,
 * with the suggestion's precision curve of the predictor they make. Then
 * the n-gram also reads the validation and test text, as the editor will
 * have.
 */
export function fitAndSaveMixture(owner: MixtureOwner, lstm: InferenceModel, vocabulary: Vocabulary, ngram: Ngram, split: Pick<Split, 'val' | 'test'>, maxFitChars = MAX_FIT_CHARS): MixtureInfo {
  const { sample: fitted, rest } = spreadSample(split.val, maxFitChars);
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
    fitChars: fit.length,
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
  ngram.learnSequence(rest);
  ngram.learnSequence(split.test);
  const ngramFile = stageBoundBytes(path.join(owner.dir, NGRAM_FILE), ngram.toBuffer(), owner.fingerprint);
  let mixtureFile;
  try {
    mixtureFile = stageBoundJson(path.join(owner.dir, MIXTURE_FILE), info, owner.fingerprint, 2);
  } catch (err) {
    ngramFile.abort();
    throw err;
  }
  // mixture.json last: it is what makes the n-gram answer.
  ngramFile.commit();
  mixtureFile.commit();
  return info;
}

/**
 * The n-gram and mixture saved beside a checkpoint, if both are there, bound
 * to its weights, whole and in range; `unusable` hears why not when they are
 * there (the LSTM then answers alone).
 */
export function loadMixture(owner: MixtureOwner & Pick<Checkpoint, 'config'>, unusable?: (why: string) => void): { ngram: Ngram; info: MixtureInfo } | undefined {
  const ngramFile = path.join(owner.dir, NGRAM_FILE);
  const mixtureFile = path.join(owner.dir, MIXTURE_FILE);
  if (!fs.existsSync(ngramFile) || !fs.existsSync(mixtureFile)) return undefined;
  try {
    const info = checkMixtureInfo(readBoundJson(mixtureFile, owner.fingerprint));
    const ngram = ngramFromBuffer(readBoundBytes(ngramFile, owner.fingerprint));
    if (ngram.vocabSize !== owner.config.vocabSize) throw new MixtureFileError(`${NGRAM_FILE} has a vocabulary of ${ngram.vocabSize} symbols, the model ${owner.config.vocabSize}`);
    if (ngram.order !== info.order) throw new MixtureFileError(`${NGRAM_FILE} is of order ${ngram.order} but ${MIXTURE_FILE} was fitted for order ${info.order}`);
    return { ngram, info };
  } catch (err) {
    // A damaged n-gram, one of other weights, or one from another version of CharLens only costs the mixture.
    if (!(err instanceof BoundFileError || err instanceof MixtureFileError || err instanceof NgramFileError)) throw err;
    unusable?.((err as Error).message);
    return undefined;
  }
}

class MixtureFileError extends Error {}

/** mixture.json's content checked field by field, so nothing after this meets a missing or non-finite figure. */
function checkMixtureInfo(value: unknown): MixtureInfo {
  const fail = (problem: string): never => {
    throw new MixtureFileError(`${MIXTURE_FILE} ${problem}`);
  };
  const info = value as MixtureInfo | undefined;
  if (typeof info !== 'object' || info === null) fail('holds no mixture');
  const nats = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  if (!(typeof info!.weightOfLstm === 'number' && info!.weightOfLstm >= 0 && info!.weightOfLstm <= 1)) fail('has no LSTM weight between 0 and 1');
  const { valNats, online } = info!;
  if (!(nats(valNats?.lstm) && nats(valNats?.ngram) && nats(valNats?.mixture))) fail('lacks its validation figures (valNats)');
  if (online !== undefined && !(nats(online?.ngram) && nats(online?.mixture) && nats(online?.gated))) fail('has damaged online figures');
  if (!(Number.isInteger(info!.order) && info!.order >= 1)) fail('has no n-gram order');
  // A gate of another version (or damaged) leaves the global weight, as in files from before gates.
  return { ...info!, gate: checkGate(info!.gate), suggestions: checkSuggestionFit(info!.suggestions) };
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
