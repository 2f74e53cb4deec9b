/**
 * A problem the user can fix: a bad option, corpus, model file or request.
 * Front ends show only its message (the CLI exits 2); anything else is a bug
 * and is reported with its stack. `code` lets callers branch without
 * matching message text.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
