// The Cell History page: draws what the extension posts (see src/extension/panels/cellHistoryPanel.ts).
(function () {
  const { activationColor, colouredCode } = window.charlensTheme;
  const vscode = acquireVsCodeApi();
  const byId = (id) => document.getElementById(id);
  const learnedPast = (p, threshold) => Math.abs(p.r) >= threshold.r && (p.precision ?? 0) >= threshold.precision;

  function scoreTable(message) {
    const table = byId('scores');
    table.textContent = '';
    const head = table.insertRow();
    const corner = document.createElement('th');
    corner.textContent = 'step';
    head.appendChild(corner);
    for (const step of message.steps) {
      const th = document.createElement('th');
      th.textContent = step.toLocaleString('en-US');
      head.appendChild(th);
    }
    const learnedHead = document.createElement('th');
    learnedHead.textContent = 'learned at';
    head.appendChild(learnedHead);
    for (const row of message.rows) {
      const tr = table.insertRow();
      tr.className = 'cellRow';
      const name = document.createElement('th');
      name.textContent = row.label;
      tr.appendChild(name);
      for (const p of row.points) {
        const td = tr.insertCell();
        td.textContent = p.r.toFixed(2);
        td.title = `r = ${p.r.toFixed(3)}${p.precision === null ? '' : `, top-1% precision ${p.precision.toFixed(2)}`}`;
        td.style.background = activationColor(p.r);
        if (learnedPast(p, row.threshold)) td.className = 'learned';
      }
      const at = tr.insertCell();
      at.textContent = row.learnedAt === null ? 'not yet' : `step ${row.learnedAt.toLocaleString('en-US')}`;
    }
    return message.rows.length;
  }

  function strips(message) {
    const box = byId('strips');
    box.textContent = '';
    for (const s of message.strips) {
      const row = document.createElement('div');
      row.className = 'strip';
      const step = document.createElement('span');
      step.className = 'step';
      step.textContent = `step ${s.step.toLocaleString('en-US')}`;
      row.appendChild(step);
      row.appendChild(colouredCode(s.chars, s.activations));
      box.appendChild(row);
    }
    return message.strips.length;
  }

  function render(message) {
    byId('title').textContent = message.title;
    byId('summary').textContent = message.summary;
    byId('learned').textContent = message.learned;
    byId('lineTitle').textContent = message.lineTitle;
    const rows = scoreTable(message);
    vscode.postMessage({ type: 'drawn', rows, strips: strips(message) });
  }

  window.addEventListener('message', (event) => {
    if (event.data.type === 'show') render(event.data);
    if (event.data.type === 'error') byId('summary').textContent = event.data.message;
  });
  vscode.postMessage({ type: 'ready' });
})();
