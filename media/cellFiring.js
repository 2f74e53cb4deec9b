// The Where Cell Fires page: draws what the extension posts (see src/extension/panels/cellFiringPanel.ts).
(function () {
  const { colouredCode } = window.charlensTheme;
  const vscode = acquireVsCodeApi();
  const title = document.getElementById('title');
  const summary = document.getElementById('summary');
  const sections = document.getElementById('sections');
  /** 1st, 2nd, 3rd, 4th, 11th, 21st ... */
  const ordinal = (n) => {
    const tens = n % 100;
    const suffix = tens >= 11 && tens <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
    return `${n}${suffix}`;
  };
  const HEADINGS = { highest: 'Highest activations', lowest: 'Lowest activations', quantile: 'At quantiles of its activation' };

  function snippetRow(s) {
    const row = document.createElement('div');
    row.className = 'snippet';
    row.dataset.kind = s.kind;
    row.title = `Open ${s.path} at line ${s.line + 1}`;
    const where = document.createElement('span');
    where.className = 'where';
    const at = s.kind === 'quantile' ? `${ordinal(Math.round(s.quantile * 100))} percentile · ` : '';
    where.textContent = `${at}${s.value.toFixed(2)} · ${s.path}:${s.line + 1}`;
    row.appendChild(where);
    const code = colouredCode(s.chars, s.activations);
    code.children[s.focus]?.classList.add('focus');
    row.appendChild(code);
    row.addEventListener('click', () => vscode.postMessage({ type: 'open', file: s.file, line: s.line, column: s.column }));
    return row;
  }

  function render(message) {
    title.textContent = message.title;
    summary.textContent = message.summary;
    sections.textContent = '';
    for (const kind of Object.keys(HEADINGS)) {
      const rows = message.snippets.filter((s) => s.kind === kind);
      if (rows.length === 0) continue;
      const h = document.createElement('h2');
      h.textContent = HEADINGS[kind];
      sections.appendChild(h);
      for (const s of rows) sections.appendChild(snippetRow(s));
    }
    vscode.postMessage({ type: 'drawn', snippets: sections.querySelectorAll('.snippet').length });
  }

  window.addEventListener('message', (event) => {
    if (event.data.type === 'show') render(event.data);
    if (event.data.type === 'error') summary.textContent = event.data.message;
  });
  vscode.postMessage({ type: 'ready' });
})();
