import * as vscode from 'vscode';

export interface Notice {
  level: 'info' | 'warning' | 'error';
  message: string;
}

/**
 * Every message CharLens shows the user goes through here: it is shown,
 * logged to the CharLens output channel, and remembered (the integration
 * tests read `recent` to check what the user was told).
 */
export class Notifier {
  readonly recent: Notice[] = [];
  /**
   * When set, answers `ask` instead of the modal dialog: the integration
   * tests answer through it, since a modal waits for a click no test can give.
   */
  answer?: (question: string, choices: string[]) => string | undefined;

  constructor(private readonly output: vscode.OutputChannel) {}

  info(message: string): void {
    this.record('info', message);
    void vscode.window.showInformationMessage(`CharLens: ${message}`);
  }

  warn(message: string): void {
    this.record('warning', message);
    void vscode.window.showWarningMessage(`CharLens: ${message}`);
  }

  error(message: string): void {
    this.record('error', message);
    void vscode.window.showErrorMessage(`CharLens: ${message}`);
  }

  /** Asks in a modal dialog; resolves to the chosen item, or undefined for Cancel (which the dialog adds). Logged with its answer. */
  async ask(question: string, detail: string, ...choices: string[]): Promise<string | undefined> {
    this.output.appendLine(`[question] ${question} (${[...choices, 'Cancel'].join(' / ')})`);
    const choice = this.answer ? this.answer(question, choices) : await vscode.window.showWarningMessage(`CharLens: ${question}`, { modal: true, detail }, ...choices);
    this.output.appendLine(`[answer] ${choice ?? 'Cancel'}`);
    return choice;
  }

  private record(level: Notice['level'], message: string): void {
    this.output.appendLine(`[${level}] ${message}`);
    this.recent.push({ level, message });
    if (this.recent.length > 50) this.recent.shift();
  }
}
