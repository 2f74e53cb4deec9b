import * as crypto from 'crypto';
import * as vscode from 'vscode';

/** Webview options that let a panel load only CharLens's media/ folder. */
function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')] };
}

/**
 * A panel's page: one script and one stylesheet from media/, under a
 * Content-Security-Policy that allows nothing else (scripts only with this
 * page's nonce), as the webview samples recommend.
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, name: string, title: string, body: string): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  const media = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', file));
  const csp = [`default-src 'none'`, `style-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`, `img-src ${webview.cspSource}`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${media(`${name}.css`)}" rel="stylesheet">
<title>${title}</title>
</head>
<body>
${body}
<script nonce="${nonce}" src="${media('theme.js')}"></script>
<script nonce="${nonce}" src="${media(`${name}.js`)}"></script>
</body>
</html>`;
}

/** CharLens's panels now open, in the order they were created. */
const openPanels = new Set<vscode.WebviewPanel>();

/**
 * A new CharLens panel, in the column CharLens's panels share: beside the
 * editor for the first one, then in the column of an open one, so panels
 * opened over an hour's use stack as tabs instead of splitting the window
 * into ever narrower columns. Never over the active editor: a panel the
 * user dragged into its column is passed over.
 */
export function createPanel(viewType: string, title: string, extensionUri: vscode.Uri, preserveFocus = false): vscode.WebviewPanel {
  const editorColumn = vscode.window.activeTextEditor?.viewColumn;
  const shared = [...openPanels].map((p) => p.viewColumn).find((column) => column !== undefined && column !== editorColumn);
  const panel = vscode.window.createWebviewPanel(viewType, title, { viewColumn: shared ?? vscode.ViewColumn.Beside, preserveFocus }, webviewOptions(extensionUri));
  openPanels.add(panel);
  panel.onDidDispose(() => openPanels.delete(panel));
  return panel;
}

/** Panels the user closed: their webview throws "Webview is disposed" at any message. */
const closed = new WeakSet<vscode.WebviewPanel>();

/** Fills a CharLens panel: its icon, and the page of media/<name>.js and .css with `body`. */
export function showPage(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, name: string, body: string): void {
  panel.onDidDispose(() => closed.add(panel));
  panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
  panel.webview.html = webviewHtml(panel.webview, extensionUri, name, panel.title, body);
}

/**
 * Sends a message to a panel's page: false, and no error, when the panel
 * was closed meanwhile, as it may be while a request it waits on runs
 * (an error there would reach VS Code as "An unknown error occurred").
 */
export function postToPage(panel: vscode.WebviewPanel, message: unknown): Thenable<boolean> {
  return closed.has(panel) ? Promise.resolve(false) : panel.webview.postMessage(message);
}
