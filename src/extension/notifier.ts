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

  constructor(private readonly output: vscode.OutputChannel) {}

  info(message: string): void {
    this.record('info', message);
    void vscode.window.showInformationMessage(`CharLens: ${message}`);
  }

  warn(message: string): void {
    this.record('warning', message);
    void vscode.window.showWarningMessage(`CharLens: ${message}`);
  }

  /**
   * A question the user must answer before CharLens goes on (a modal
   * dialog); undefined when they cancel. Tests answer through `answerWith`,
   * as a dialog would wait for a person forever.
   */
  async ask(message: string, ...choices: string[]): Promise<string | undefined> {
    this.record('warning', message);
    if (this.answerWith) return this.answerWith(message, choices);
    return vscode.window.showWarningMessage(`CharLens: ${message}`, { modal: true }, ...choices);
  }

  answerWith?: (message: string, choices: readonly string[]) => string | undefined;

  /** A menu to choose from; undefined when the user dismisses it. Tests choose through `pickWith`, as `answerWith` answers. */
  async pick<T extends vscode.QuickPickItem>(items: T[], options: vscode.QuickPickOptions): Promise<T | undefined> {
    if (this.pickWith) return this.pickWith(items, options) as T | undefined;
    return vscode.window.showQuickPick(items, options);
  }

  pickWith?: (items: readonly vscode.QuickPickItem[], options: vscode.QuickPickOptions) => vscode.QuickPickItem | undefined;

  error(message: string): void {
    this.record('error', message);
    void vscode.window.showErrorMessage(`CharLens: ${message}`);
  }

  private record(level: Notice['level'], message: string): void {
    this.output.appendLine(`[${level}] ${message}`);
    this.recent.push({ level, message });
    if (this.recent.length > 50) this.recent.shift();
  }
}
