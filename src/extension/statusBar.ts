import * as vscode from 'vscode';
import { ModelInfo, describeValidation } from '../engine/protocol';
import { modelName } from '../core/model/modelConfig';

/** One status-bar item: which model answers, on which backend, and the live loss while training. */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('charlens.status', vscode.StatusBarAlignment.Right, 100);
  private backend = '';
  private model?: ModelInfo;

  constructor() {
    this.item.name = 'CharLens';
    this.item.command = 'charlens.showOutput';
    this.showIdle();
    this.item.show();
  }

  setEngine(backend: string, model: ModelInfo | undefined): void {
    this.backend = backend;
    this.model = model;
    this.showIdle();
  }

  /** The backend changed (never during training: the engine refuses that). */
  setBackend(backend: string): void {
    this.backend = backend;
    this.showIdle();
  }

  /** What the answering model's views show of a cell ("tanh(c)" or "h"); undefined before a model is known. */
  get activation(): string | undefined {
    return this.model?.activation;
  }

  setModel(model: ModelInfo): void {
    this.model = model;
    this.showIdle();
  }

  showIdle(): void {
    const m = this.model;
    this.item.text = m ? `$(symbol-misc) CharLens: ${m.source} model` : '$(symbol-misc) CharLens: no model';
    const loss = m?.valLoss !== undefined ? `, validation ${(m.valLoss / Math.LN2).toFixed(2)} bits/char` : '';
    this.item.tooltip = m
      ? `${modelName(m)} from ${m.dir}${loss}\nCompletions from: ${m.answering}${m.validation ? `, ${describeValidation(m.validation)}` : ''}\nBackend: ${this.backend}`
      : `No model yet: run "CharLens: Train on Workspace".\nBackend: ${this.backend}`;
  }

  /** `counter`: "step 1812/~3233" (see stepCounter). */
  showTraining(counter: string, bits: number, valBits?: number): void {
    const val = valBits !== undefined ? ` val ${valBits.toFixed(2)}` : '';
    this.item.text = `$(sync~spin) CharLens ${bits.toFixed(2)} bits/char${val}`;
    this.item.tooltip = `Training: ${counter} on ${this.backend}\nCompletions from the workspace n-gram until the LSTM is trained`;
  }

  /** What the item shows now (for tests). */
  get text(): string {
    return this.item.text;
  }

  showStopping(): void {
    this.item.text = '$(sync~spin) CharLens: stopping…';
    this.item.tooltip = 'Stopping training: the current step finishes, then the model is validated and saved';
  }

  dispose(): void {
    this.item.dispose();
  }
}
