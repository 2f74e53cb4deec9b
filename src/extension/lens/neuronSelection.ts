import * as vscode from 'vscode';
import type { Neuron } from '../../core/predict/documentTrace';

export interface ChosenNeuron extends Neuron {
  /** What the neuron explorer found it tracks, if anything ("inside string, r = 0.93"). */
  label?: string;
}

const KEY = 'charlens.neuron';
const FIRST: ChosenNeuron = { layer: 0, index: 0, kind: 'c' };

/**
 * Layer and cell numbers as the user reads them: both from 1 for layers,
 * cells from 0 (as the explorer prints them). `shown` is what the model's
 * views show of a cell (ModelInfo.activation): an LSTM's tanh(c), a GRU's or
 * RNN's h.
 */
export const describeNeuron = (n: ChosenNeuron, shown = 'tanh(c)'): string =>
  `layer ${n.layer + 1} cell ${n.index} ${n.kind === 'c' ? shown : 'h'}${n.label ? ` (${n.label})` : ''}`;

const sameCell = (a: ChosenNeuron, b: ChosenNeuron) => a.layer === b.layer && a.index === b.index && a.kind === b.kind;

/**
 * The one cell that the overlays, the hover and the neuron view all show:
 * the user's choice (remembered per workspace), else a cell preselected
 * from the neuron explorer's labelled cells of the loaded model (a cell
 * that tracks something is a better first sight than layer 1 cell 0, which
 * usually tracks nothing; see preselectCell for which).
 */
export class NeuronSelection implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ChosenNeuron>();
  readonly onDidChange = this.emitter.event;
  private best?: Promise<ChosenNeuron | undefined>;
  private bestKnown?: ChosenNeuron;

  constructor(
    private readonly memento: vscode.Memento,
    private readonly bestCell: () => Promise<ChosenNeuron | undefined>,
    private readonly shownActivation: () => string | undefined,
  ) {}

  /** `neuron` named as describeNeuron names it, with what the loaded model shows of a cell. */
  describe(neuron: ChosenNeuron): string {
    return describeNeuron(neuron, this.shownActivation());
  }

  /** The cell shown now, without waiting for the explorer (see resolve). */
  get current(): ChosenNeuron {
    return this.memento.get<ChosenNeuron>(KEY) ?? this.bestKnown ?? FIRST;
  }

  /** The cell to show, preselecting one first when the user has chosen none. */
  async resolve(): Promise<ChosenNeuron> {
    const chosen = this.memento.get<ChosenNeuron>(KEY);
    if (chosen) return chosen;
    this.best ??= this.bestCell().catch(() => undefined);
    const best = await this.best;
    const before = this.bestKnown;
    this.bestKnown = best;
    // Preselected again for other text: whatever showed the one before follows.
    if (before && best && !sameCell(before, best)) this.emitter.fire(best);
    return this.current;
  }

  /** The neuron overlay was switched on: unless the user has chosen a cell, preselect one for the text in view now. */
  preselectAgain(): void {
    if (!this.memento.get<ChosenNeuron>(KEY)) this.best = undefined;
  }

  async set(neuron: ChosenNeuron): Promise<void> {
    await this.memento.update(KEY, neuron);
    this.emitter.fire(neuron);
  }

  /** Another model answers: its best cell is another one. */
  modelChanged(): void {
    this.best = undefined;
    this.bestKnown = undefined;
  }

  /** The chosen cell is not in the loaded model: drop the choice and show the model's best cell. */
  async fallBack(): Promise<ChosenNeuron> {
    await this.memento.update(KEY, undefined);
    this.modelChanged();
    const neuron = await this.resolve();
    this.emitter.fire(neuron);
    return neuron;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
