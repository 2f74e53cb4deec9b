import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../atomicFile';
import { Split } from '../batches';
import { InferenceModel } from '../inference';
import { fitMixtureWeight, meanNats, mixProbabilities, scoreWithLstm } from '../mixture';
import { Vocabulary } from '../vocabulary';
import { CharNgram as Ngram, loadNgram } from './charNgram';
import { MAX_NGRAM_ORDER, NgramModel } from './kneserNey';
import { MAX_MATCH, SuffixNgram } from './suffixNgram';

export const NGRAM_FILE = 'ngram.bin';
export const MIXTURE_FILE = 'mixture.json';
/**
 * Order of the workspace n-gram: the suffix-array model's (the longest
 * context it reads), which on the accuracy benchmark completes far better
 * online than the order-k tables and takes 6-7 bytes per character where
 * an order-10 table takes 40. An order up to MAX_NGRAM_ORDER asks for the
 * Kneser-Ney table of that order instead.
 */
export const WORKSPACE_NGRAM_ORDER = MAX_MATCH + 1;
/** Validation characters read to fit the mixture weight (more changes the weight little and costs seconds). */
const MAX_FIT_CHARS = 100_000;

export interface MixtureInfo {
  /** Weight of the LSTM in the mixture; 1 = the LSTM alone, 0 = the n-gram alone. */
  weightOfLstm: number;
  /** Validation nats/char of each, on the first MAX_FIT_CHARS characters of the validation split. */
  valNats: { lstm: number; ngram: number; mixture: number };
  order: number;
}

/**
 * The instant model: an n-gram of the training split, built in seconds when
 * training starts so that completions and the prediction overlay have a
 * model of this workspace at once; the same split the LSTM trains on, so the
 * validation text stays unseen by both.
 */
export function buildWorkspaceNgram(train: ArrayLike<number>, vocabSize: number, order = WORKSPACE_NGRAM_ORDER): Ngram {
  return order > MAX_NGRAM_ORDER ? SuffixNgram.build(train, { vocabSize }) : NgramModel.build(train, { order, vocabSize });
}

/**
 * Fits the LSTM/n-gram mixture weight on the validation split and saves the
 * n-gram and the weight beside the LSTM checkpoint in `dir`. Then the n-gram
 * also reads the validation and test text, as the editor will have.
 */
export function fitAndSaveMixture(dir: string, lstm: InferenceModel, ngram: Ngram, split: Pick<Split, 'val' | 'test'>): MixtureInfo {
  const fit = split.val.subarray(0, MAX_FIT_CHARS);
  // Its discounts per match length are fitted on the first half, so the mixture weight is fitted on text they never saw.
  if (ngram instanceof SuffixNgram) ngram.fitDiscounts(fit.subarray(0, fit.length >> 1));
  const pLstm = scoreWithLstm(lstm, fit);
  const pNgram = ngram.score(fit);
  const weightOfLstm = fit.length > 0 ? fitMixtureWeight(pLstm, pNgram) : 1;
  const info: MixtureInfo = {
    weightOfLstm,
    valNats: { lstm: meanNats(pLstm), ngram: meanNats(pNgram), mixture: meanNats(mixProbabilities(pLstm, pNgram, weightOfLstm)) },
    order: ngram.order,
  };
  ngram.learnSequence(split.val);
  ngram.learnSequence(split.test);
  ngram.save(path.join(dir, NGRAM_FILE));
  writeFileAtomic(path.join(dir, MIXTURE_FILE), JSON.stringify(info, null, 2));
  return info;
}

/** The n-gram and mixture saved beside a checkpoint, if both are there and readable. */
export function loadMixture(dir: string): { ngram: Ngram; info: MixtureInfo } | undefined {
  const ngramFile = path.join(dir, NGRAM_FILE);
  const mixtureFile = path.join(dir, MIXTURE_FILE);
  if (!fs.existsSync(ngramFile) || !fs.existsSync(mixtureFile)) return undefined;
  try {
    const info = JSON.parse(fs.readFileSync(mixtureFile, 'utf8')) as MixtureInfo;
    if (!(info.weightOfLstm >= 0 && info.weightOfLstm <= 1)) return undefined;
    return { ngram: loadNgram(ngramFile), info };
  } catch {
    return undefined; // a damaged n-gram only costs the mixture: the LSTM answers alone
  }
}

/** What the UI says is answering. */
export function answeringLabel(info?: MixtureInfo): string {
  if (!info || info.weightOfLstm > 0.99) return 'LSTM';
  if (info.weightOfLstm < 0.01) return 'n-gram';
  return `LSTM + n-gram (${Math.round(info.weightOfLstm * 100)}% LSTM)`;
}

/**
 * Per UTF-16 offset in [from, to): the n-gram's probability of the character
 * there given the text before it (its last order - 1 characters), as the
 * prediction overlay draws it.
 */
export function ngramProbabilities(ngram: Ngram, vocabulary: Vocabulary, text: string, from: number, to: number): Float32Array {
  const out = new Float32Array(to - from);
  const context = Array.from(vocabulary.encode(text.slice(Math.max(0, from - 4 * ngram.order), from)).slice(-ngram.order));
  let at = from;
  for (const ch of text.slice(from, to)) {
    const id = vocabulary.idOf(ch);
    out.fill(ngram.probability(context, id), at - from, at - from + ch.length);
    context.push(id);
    if (context.length > ngram.order) context.shift();
    at += ch.length;
  }
  return out;
}
