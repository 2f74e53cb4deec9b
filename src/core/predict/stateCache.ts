import { InferenceModel, LstmState } from '../model/inference';
import { LruMap } from '../lruMap';
import { Vocabulary } from '../text/vocabulary';

/**
 * LSTM states along one document, checkpointed every `interval` characters,
 * so that a completion after a keystroke costs only the characters since the
 * nearest checkpoint before the edit, not a re-read of the whole prefix.
 *
 * Reading from the document's start would make the first request on a long
 * file slow, so a run starts at most `window` characters before the cursor
 * (from the zero state) and keeps going from there as the user types; it is
 * restarted only when the cursor is more than 2 * window past its start or
 * before it. An LSTM's memory of code fades within a few hundred characters,
 * so the window costs little accuracy.
 */
export interface StateCacheOptions {
  interval: number;
  window: number;
}

interface Checkpoint {
  offset: number; // UTF-16 index into the document, always at a code-point boundary
  state: LstmState;
}

export class DocumentStates {
  private text = '';
  private start = 0;
  private checkpoints: Checkpoint[] = [];

  constructor(
    private readonly model: InferenceModel,
    private readonly vocabulary: Vocabulary,
    private readonly options: StateCacheOptions = { interval: 64, window: 2000 },
  ) {}

  /** The state after reading `prefix` (a copy the caller may advance). */
  stateAfter(prefix: string): LstmState {
    const common = commonPrefixLength(this.text, prefix);
    const end = prefix.length;
    if (this.checkpoints.length === 0 || this.start > common || end - this.start > 2 * this.options.window) {
      this.start = alignToCodePoint(prefix, Math.max(0, end - this.options.window));
      this.checkpoints = [{ offset: this.start, state: this.model.zeroState() }];
    } else {
      while (this.checkpoints.length > 1 && this.checkpoints[this.checkpoints.length - 1].offset > common) this.checkpoints.pop();
    }
    const last = this.checkpoints[this.checkpoints.length - 1];
    const state = this.model.cloneState(last.state);
    let offset = last.offset;
    let sinceCheckpoint = 0;
    for (const ch of prefix.slice(offset)) {
      this.model.advance(state, this.vocabulary.idOf(ch));
      offset += ch.length;
      if (++sinceCheckpoint === this.options.interval) {
        this.checkpoints.push({ offset, state: this.model.cloneState(state) });
        sinceCheckpoint = 0;
      }
    }
    this.text = prefix;
    return state;
  }
}

export function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Moves an index off the low half of a surrogate pair. */
export function alignToCodePoint(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return index > 0 && code >= 0xdc00 && code <= 0xdfff ? index + 1 : index;
}

/** One DocumentStates per document, least recently used dropped first. */
export class StateCache {
  private readonly documents: LruMap<string, DocumentStates>;

  constructor(
    private readonly model: InferenceModel,
    private readonly vocabulary: Vocabulary,
    maxDocuments = 20,
    private readonly options?: StateCacheOptions,
  ) {
    this.documents = new LruMap(maxDocuments);
  }

  stateAfter(documentId: string, prefix: string): LstmState {
    return this.documents.obtain(documentId, () => new DocumentStates(this.model, this.vocabulary, this.options)).stateAfter(prefix);
  }

  forget(documentId: string): void {
    this.documents.delete(documentId);
  }
}
