import { InferenceModel, LstmState, shownActivation } from '../model/inference';
import { CellType, cellOf } from '../model/modelConfig';
import { alignToCodePoint, commonPrefixLength } from './stateCache';
import { Vocabulary } from '../text/vocabulary';

/** One LSTM cell: layer and index from 0; 'c' reads tanh(c), 'h' reads h (both in [-1, 1]). */
export interface Neuron {
  layer: number;
  index: number;
  kind: 'c' | 'h';
}

export interface TraceOptions {
  /** A state checkpoint every this many characters. */
  interval: number;
  /**
   * Characters read before the first one asked for when no cached state is
   * near: the trace then starts from the zero state there rather than at the
   * file's start (the benchmark measures what this costs in accuracy).
   */
  warmup: number;
}

export const DEFAULT_TRACE_OPTIONS: TraceOptions = { interval: 64, warmup: 500 };

/** Per UTF-16 offset in [from, to): what the overlays draw. */
export interface TraceSlice {
  from: number;
  /** Probability the model gave the character at each offset, given everything before it. */
  probability: Float32Array;
  /** The neuron's activation right after reading the character at each offset. */
  activation: Float32Array;
  /** Where the reading started (0 = the file's start, exact). */
  start: number;
}

/** A GRU's or RNN's 'c' is its h (shownActivation): it has no other state. */
export function neuronValue(cell: CellType, state: LstmState, neuron: Neuron): number {
  return neuron.kind === 'h' ? state.h[neuron.layer][neuron.index] : shownActivation(cell, state, neuron.layer, neuron.index);
}

/** A neuron the model does not have (another model was loaded since it was chosen, say). */
export class NeuronRangeError extends RangeError {}

export function checkNeuron(model: InferenceModel, neuron: Neuron): void {
  const { layers, hiddenSize } = model.config;
  if (!Number.isInteger(neuron.layer) || neuron.layer < 0 || neuron.layer >= layers) {
    throw new NeuronRangeError(`The model has layers 1 to ${layers}; layer ${neuron.layer + 1} does not exist.`);
  }
  if (!Number.isInteger(neuron.index) || neuron.index < 0 || neuron.index >= hiddenSize) {
    throw new NeuronRangeError(`Layer ${neuron.layer + 1} has cells 0 to ${hiddenSize - 1}; cell ${neuron.index} does not exist.`);
  }
}

/** States this close are the same for every value the overlays show. */
const CONVERGED = 1e-3;

/**
 * What was read after an edit, moved to the edited text's offsets: once the
 * reading after the edit reaches one of these checkpoints with (nearly) the
 * same state, everything after it is known already. An LSTM forgets a
 * one-character difference within a few dozen characters, so an edit costs
 * about that much reading instead of all the text after it.
 */
interface Tail {
  checkpoints: Checkpoint[];
  /** Values for offsets [from, end), in the edited text's offsets. */
  from: number;
  end: number;
  probability: Float32Array;
  activation: Float32Array;
}

interface Checkpoint {
  offset: number;
  state: LstmState;
}

function converged(a: LstmState, b: LstmState): boolean {
  for (let l = 0; l < a.h.length; l++) {
    for (let i = 0; i < a.h[l].length; i++) {
      if (Math.abs(a.h[l][i] - b.h[l][i]) > CONVERGED || Math.abs(a.c[l][i] - b.c[l][i]) > CONVERGED) return false;
    }
  }
  return true;
}

function commonSuffixLength(a: string, b: string, max: number): number {
  let n = 0;
  while (n < max && a.charCodeAt(a.length - 1 - n) === b.charCodeAt(b.length - 1 - n)) n++;
  return n;
}

const sameNeuron = (a?: Neuron, b?: Neuron) => a?.layer === b?.layer && a?.index === b?.index && a?.kind === b?.kind;

/**
 * The model read along one document, for the overlays and the hover: state
 * checkpoints every `interval` characters plus, per character, the
 * probability of that character and the chosen neuron's activation. After an
 * edit only what follows the edit is read again; scrolling far away starts a
 * new reading `warmup` characters before the visible range.
 */
export class DocumentTrace {
  private text = '';
  private start = 0;
  private checkpoints: Checkpoint[] = [];
  private tail?: Tail;
  /** Values are known for offsets [valuesFrom, known). */
  private valuesFrom = 0;
  private known = 0;
  private probability = new Float32Array(0);
  private activation = new Float32Array(0);
  private neuron?: Neuron;

  constructor(
    private readonly model: InferenceModel,
    private readonly vocabulary: Vocabulary,
    private readonly options: TraceOptions = DEFAULT_TRACE_OPTIONS,
  ) {}

  /** Values for [from, to) of `text`, reading only what is not cached. */
  trace(text: string, from: number, to: number, neuron: Neuron): TraceSlice {
    checkNeuron(this.model, neuron);
    to = Math.min(to, text.length);
    from = Math.max(0, Math.min(from, to));
    this.sync(text, from);
    if (!sameNeuron(neuron, this.neuron) || from < this.valuesFrom) {
      this.neuron = neuron;
      this.tail = undefined;
      this.valuesFrom = this.known = this.checkpointBefore(from).offset;
    }
    if (this.known < to) this.readTo(to, true);
    const a = from - this.start;
    const b = to - this.start;
    return { from, probability: this.probability.slice(a, b), activation: this.activation.slice(a, b), start: this.start };
  }

  /** The state right after the character at `offset` (a copy), reusing the cached checkpoints. */
  stateAfterChar(text: string, offset: number): LstmState {
    const end = Math.min(text.length, offset + (isHighSurrogate(text.charCodeAt(offset)) ? 2 : 1));
    this.sync(text, offset);
    return this.stateAt(end);
  }

  /** The state before the character at `offset`. */
  stateBefore(text: string, offset: number): LstmState {
    this.sync(text, offset);
    return this.stateAt(offset);
  }

  /** Drops what an edit invalidated and decides whether a new reading must start before `from`. */
  private sync(text: string, from: number): void {
    const common = commonPrefixLength(this.text, text);
    this.tail = this.reusableTail(text, common);
    this.text = text;
    this.known = Math.min(this.known, common);
    this.valuesFrom = Math.min(this.valuesFrom, this.known);
    while (this.checkpoints.length > 1 && this.checkpoints[this.checkpoints.length - 1].offset > common) this.checkpoints.pop();
    const reachable = this.checkpoints.length > 0 && this.start <= from && from - Math.max(this.known, this.lastCheckpoint().offset) <= this.options.warmup;
    const startValid = this.checkpoints.length > 0 && this.start <= common;
    if (!reachable || !startValid) {
      this.start = alignToCodePoint(text, Math.max(0, from - this.options.warmup));
      this.checkpoints = [{ offset: this.start, state: this.model.zeroState() }];
      this.valuesFrom = this.known = this.start;
      this.tail = undefined;
    }
  }

  /** After an edit: the checkpoints and values past it, at the edited text's offsets. */
  private reusableTail(text: string, common: number): Tail | undefined {
    const old = this.text;
    if (common === old.length || this.known <= common || this.checkpoints.length === 0) return undefined;
    // Old offsets >= unchanged hold the same text as new offsets >= unchanged + delta.
    const unchanged = old.length - commonSuffixLength(old, text, Math.min(old.length, text.length) - common);
    const delta = text.length - old.length;
    const kept = this.checkpoints.filter((c) => c.offset > unchanged && c.offset < this.known);
    if (kept.length === 0) return undefined;
    const first = kept[0].offset;
    return {
      checkpoints: kept.map((c) => ({ offset: c.offset + delta, state: c.state })),
      from: first + delta,
      end: this.known + delta,
      probability: this.probability.slice(first - this.start, this.known - this.start),
      activation: this.activation.slice(first - this.start, this.known - this.start),
    };
  }

  /** Takes the tail's checkpoints and values from `offset` on, where the new reading met its state. */
  private joinTail(tail: Tail, offset: number): void {
    this.tail = undefined;
    this.ensureCapacity(tail.end - this.start);
    this.probability.set(tail.probability.subarray(offset - tail.from), offset - this.start);
    this.activation.set(tail.activation.subarray(offset - tail.from), offset - this.start);
    this.known = tail.end;
    while (this.lastCheckpoint().offset >= offset) this.checkpoints.pop();
    this.checkpoints.push(...tail.checkpoints.filter((c) => c.offset >= offset));
  }

  private lastCheckpoint(): { offset: number; state: LstmState } {
    return this.checkpoints[this.checkpoints.length - 1];
  }

  private checkpointBefore(offset: number): { offset: number; state: LstmState } {
    for (let i = this.checkpoints.length - 1; i >= 0; i--) if (this.checkpoints[i].offset <= offset) return this.checkpoints[i];
    return this.checkpoints[0];
  }

  private stateAt(offset: number): LstmState {
    if (this.lastCheckpoint().offset < offset) this.readTo(offset, false);
    const cp = this.checkpointBefore(offset);
    const state = this.model.cloneState(cp.state);
    let at = cp.offset;
    while (at < offset) {
      const ch = String.fromCodePoint(this.text.codePointAt(at)!);
      this.model.advance(state, this.vocabulary.idOf(ch));
      at += ch.length;
    }
    return state;
  }

  /** Reads from the checkpoint before `known` up to `to`, recording values (when asked) and checkpoints. */
  private readTo(to: number, record: boolean): void {
    const from = record ? this.known : this.lastCheckpoint().offset;
    const cp = this.checkpointBefore(from);
    this.ensureCapacity(to - this.start);
    const state = this.model.cloneState(cp.state);
    let at = cp.offset;
    let sinceCheckpoint = 0;
    const neuron = this.neuron;
    while (at < to) {
      const ch = String.fromCodePoint(this.text.codePointAt(at)!);
      const id = this.vocabulary.idOf(ch);
      const recording = record && neuron && at >= this.known;
      const p = recording ? this.model.probabilities(state)[id] : 0;
      this.model.advance(state, id);
      if (recording) {
        const value = neuronValue(cellOf(this.model.config), state, neuron);
        for (let k = 0; k < ch.length; k++) {
          this.probability[at - this.start + k] = p;
          this.activation[at - this.start + k] = value;
        }
      }
      at += ch.length;
      if (++sinceCheckpoint === this.options.interval) {
        sinceCheckpoint = 0;
        if (at > this.lastCheckpoint().offset) this.checkpoints.push({ offset: at, state: this.model.cloneState(state) });
      }
      const tail = record ? this.tail : undefined;
      if (tail) {
        while (tail.checkpoints.length > 0 && tail.checkpoints[0].offset < at) tail.checkpoints.shift();
        const next = tail.checkpoints[0];
        if (!next) this.tail = undefined;
        else if (next.offset === at && converged(state, next.state)) {
          this.joinTail(tail, at);
          if (this.known < to) this.readTo(to, record);
          return;
        }
      }
    }
    if (record) this.known = Math.max(this.known, at);
  }

  private ensureCapacity(length: number): void {
    if (this.probability.length >= length) return;
    const size = Math.max(length, this.probability.length * 2);
    const grow = (a: Float32Array) => {
      const b = new Float32Array(size);
      b.set(a);
      return b;
    };
    this.probability = grow(this.probability);
    this.activation = grow(this.activation);
  }
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
