import * as vscode from 'vscode';
import type { Neuron } from '../../core/documentTrace';

export interface ChosenNeuron extends Neuron {
  /** What the neuron explorer found it tracks, if anything ("inside string, r = 0.93"). */
  label?: string;
}

const KEY = 'charlens.neuron';

/** Layer and cell numbers as the user reads them: both from 1 for layers, cells from 0 (as the explorer prints them). */
export const describeNeuron = (n: ChosenNeuron): string =>
  `layer ${n.layer + 1} cell ${n.index} ${n.kind === 'c' ? 'tanh(c)' : 'h'}${n.label ? ` (${n.label})` : ''}`;

/** The neuron the overlays, hover and neuron view show; remembered per workspace. */
export class NeuronSelection implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ChosenNeuron>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly memento: vscode.Memento) {}

  get current(): ChosenNeuron {
    return this.memento.get<ChosenNeuron>(KEY) ?? { layer: 0, index: 0, kind: 'c' };
  }

  async set(neuron: ChosenNeuron): Promise<void> {
    await this.memento.update(KEY, neuron);
    this.emitter.fire(neuron);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
