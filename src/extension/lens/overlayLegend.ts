import * as vscode from 'vscode';
import { ACTIVATION_BUCKETS, Bucket, PREDICTION_BUCKETS } from './buckets';
import { ChosenNeuron } from './neuronSelection';

/** What a legend item shows now (for tests). */
export interface LegendShown {
  text: string;
  tooltip: string;
}

/** A theme colour as the workbench's CSS names it (every dot a dash), which hover markdown may use in a span's style. */
const cssColour = (b: Bucket) => `var(--vscode-${b.color.replace(/\./g, '-')})`;

/** "layer 2 cell 51: inside comment": the cell and its feature, without the scores the hover gives. */
const shortName = (n: ChosenNeuron) => `layer ${n.layer + 1} cell ${n.index}${n.kind === 'h' ? ' h' : ''}${n.label ? `: ${n.label.split(',')[0]}` : ''}`;

/**
 * The overlays' colour keys, in the status bar: one item per overlay that is
 * on, naming what it shows, with the colours and what they mean in its
 * hover. A legend drawn in the editor sat after the first visible line and
 * ran off the right edge of a split editor or under the minimap; the
 * status bar is in view whatever the editor's width.
 */
export class OverlayLegend implements vscode.Disposable {
  // Between the editor's own items (the language mode is 100.1) and the CharLens item (100).
  private readonly prediction = vscode.window.createStatusBarItem('charlens.legend.prediction', vscode.StatusBarAlignment.Right, 100.06);
  private readonly neuron = vscode.window.createStatusBarItem('charlens.legend.neuron', vscode.StatusBarAlignment.Right, 100.03);
  /** What each item shows while it is shown (for tests). */
  readonly shown: { prediction?: LegendShown; neuron?: LegendShown } = {};

  constructor() {
    this.prediction.name = 'CharLens Prediction Overlay Legend';
    this.neuron.name = 'CharLens Neuron Overlay Legend';
    this.neuron.command = { title: 'Pick Neuron', command: 'charlens.pickNeuron' };
  }

  /** The prediction overlay's key: `answering` names what gave the probabilities; undefined hides it. */
  showPrediction(answering: string | undefined): void {
    if (answering === undefined) return this.hide('prediction');
    const chips = PREDICTION_BUCKETS.map((b) => `<span style="color:${cssColour(b)};">**${escape(b.label)}**</span>`).join(' &nbsp; ');
    this.show('prediction', '$(symbol-color) p(char)', [`**Prediction overlay**: each character's text is coloured by the probability ${escape(answering)} gave it, given everything before it.`, chips]);
  }

  /** The neuron overlay's key for `neuron`, named `description` (NeuronSelection.describe); undefined hides it. */
  showNeuron(neuron: ChosenNeuron | undefined, description = ''): void {
    if (neuron === undefined) return this.hide('neuron');
    const chips = ACTIVATION_BUCKETS.map((b) => `<span style="background-color:${cssColour(b)};">&nbsp;${escape(b.label)}&nbsp;</span>`).join(' ');
    this.show('neuron', `$(pulse) ${shortName(neuron)}`, [
      `**Neuron overlay**: ${escape(description)}. Each character's background is the cell's activation after reading it, blue below 0 and red above (|activation| < 0.2 is left plain).`,
      chips,
      'Click to pick another cell.',
    ]);
  }

  private show(kind: 'prediction' | 'neuron', text: string, paragraphs: string[]): void {
    const item = this[kind];
    const tooltip = new vscode.MarkdownString(paragraphs.join('\n\n'), true);
    tooltip.supportHtml = true;
    item.text = text;
    item.tooltip = tooltip;
    item.show();
    this.shown[kind] = { text, tooltip: tooltip.value };
  }

  private hide(kind: 'prediction' | 'neuron'): void {
    this[kind].hide();
    this.shown[kind] = undefined;
  }

  dispose(): void {
    this.prediction.dispose();
    this.neuron.dispose();
  }
}

/** The hover renders HTML: "<1%" must not open a tag. */
const escape = (s: string) => s.replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'));
