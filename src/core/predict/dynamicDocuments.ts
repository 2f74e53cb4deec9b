import { AdaptedLayer, DynamicEvaluation } from './dynamicEvaluation';
import { InferenceModel, LstmState } from '../model/inference';
import { LruMap } from '../lruMap';
import { alignToCodePoint, commonPrefixLength } from './stateCache';
import { Vocabulary } from '../text/vocabulary';

/**
 * Dynamic evaluation in the editor: per document, the LSTM state and the
 * output layer adapted to the text before the cursor (see
 * dynamicEvaluation.ts).
 *
 * Exact under edits, as the document n-gram is (ngram/documentNgram.ts):
 * what a document has been read is always exactly a stretch of its current
 * text, from `start` to the cursor, so its state and layer are those of a
 * fresh read of that stretch. Each request keeps what was read up to the
 * first difference with the text sent and reads the rest from there: from
 * the tip when only characters were added, else from the last checkpoint
 * (state and layer, every CHECKPOINT_CHARS characters) before the first
 * changed character. A first read, a jump, or an edit so far above the
 * cursor that re-reading would take more than MAX_READ characters, starts
 * over WINDOW characters before the cursor, as the state cache does.
 *
 * Bounded: MAX_CHECKPOINTS checkpoints per document (an edit above the
 * oldest starts over), each (H + 1) x V floats (50 KB for the shipped
 * 2x128 model), for the MAX_DOCUMENTS most recently used documents.
 */
export const CHECKPOINT_CHARS = 1024;
const MAX_CHECKPOINTS = 32;
const MAX_DOCUMENTS = 8;
/** Where a new reading starts: this many characters before the cursor (about 0.1 s of reading for the shipped model). */
const WINDOW = 2048;
/** At most this many characters are read for one request (about 0.4 s); more starts over. */
const MAX_READ = 4 * WINDOW;

interface Checkpoint {
  offset: number; // UTF-16 index into the document, at a code-point boundary
  state: LstmState;
  weights: Float32Array;
}

/** The state and adapted layer after a document's text up to the cursor; valid until the next read of that document. */
export interface AdaptedReading {
  state: LstmState;
  layer: AdaptedLayer;
}

class AdaptedDocument {
  private text = '';
  private checkpoints: Checkpoint[] = [];
  /** The reading at the end of `text`, and how many characters it is past the last checkpoint. */
  private readonly tip: AdaptedReading & { offset: number; sinceCheckpoint: number };

  constructor(
    private readonly rule: DynamicEvaluation,
    private readonly vocabulary: Vocabulary,
  ) {
    this.tip = { offset: 0, sinceCheckpoint: 0, state: rule.model.zeroState(), layer: rule.fresh() };
  }

  /** The reading after `prefix` (the state a copy the caller may advance). */
  readTo(prefix: string): AdaptedReading {
    const { model } = this.rule;
    const common = commonPrefixLength(this.text, prefix);
    while (this.checkpoints.length > 0 && this.checkpoints[this.checkpoints.length - 1].offset > common) this.checkpoints.pop();
    const tip = this.tip;
    if (tip.offset > common) {
      const last = this.checkpoints[this.checkpoints.length - 1];
      if (last) this.moveTip(last);
    }
    if (this.checkpoints.length === 0 || tip.offset > common || prefix.length - tip.offset > MAX_READ) {
      const start = alignToCodePoint(prefix, Math.max(0, prefix.length - WINDOW));
      this.checkpoints = [];
      this.moveTip({ offset: start, state: model.zeroState(), weights: this.rule.saved });
      this.checkpoints.push(this.checkpointOfTip());
    }
    const h = tip.state.h[tip.state.h.length - 1];
    for (const ch of prefix.slice(tip.offset)) {
      const id = this.vocabulary.idOf(ch);
      tip.layer.read(h, id);
      model.advance(tip.state, id);
      tip.offset += ch.length;
      if (++tip.sinceCheckpoint === CHECKPOINT_CHARS) {
        tip.sinceCheckpoint = 0;
        this.checkpoints.push(this.checkpointOfTip());
        if (this.checkpoints.length > MAX_CHECKPOINTS) this.checkpoints.shift();
      }
    }
    this.text = prefix;
    return { state: model.cloneState(tip.state), layer: tip.layer };
  }

  private moveTip(to: Checkpoint): void {
    this.tip.offset = to.offset;
    this.tip.sinceCheckpoint = 0;
    this.tip.state = this.rule.model.cloneState(to.state);
    this.tip.layer.restore(to.weights);
  }

  private checkpointOfTip(): Checkpoint {
    return { offset: this.tip.offset, state: this.rule.model.cloneState(this.tip.state), weights: this.tip.layer.snapshot() };
  }
}

/** One AdaptedDocument per document, least recently used dropped first. */
export class DynamicDocuments {
  private readonly documents = new LruMap<string, AdaptedDocument>(MAX_DOCUMENTS);

  constructor(
    readonly rule: DynamicEvaluation,
    private readonly vocabulary: Vocabulary,
  ) {}

  get model(): InferenceModel {
    return this.rule.model;
  }

  /** The reading after `prefix`, the document's text before the cursor. */
  at(documentId: string, prefix: string): AdaptedReading {
    return this.documents.obtain(documentId, () => new AdaptedDocument(this.rule, this.vocabulary)).readTo(prefix);
  }

  forget(documentId: string): void {
    this.documents.delete(documentId);
  }
}
