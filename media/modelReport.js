// The model report page: draws what the extension posts (see src/extension/panels/modelReportPanel.ts).
(function () {
  const vscode = acquireVsCodeApi();
  const NS = 'http://www.w3.org/2000/svg';
  const summary = document.getElementById('summary');
  const CLASS_NAMES = { whitespace: 'whitespace', identifier: 'identifier characters', digit: 'digits', punctuation: 'punctuation', bracket: 'brackets', comment: 'inside comments', string: 'inside strings' };
  const percent = (x) => `${(100 * x).toFixed(1)}%`;

  function svgElement(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    parent.appendChild(node);
    return node;
  }

  function table(headers, rows) {
    const t = document.createElement('table');
    const head = t.insertRow();
    for (const h of headers) head.appendChild(document.createElement('th')).textContent = h;
    for (const r of rows) {
      const row = t.insertRow();
      r.forEach((v, k) => (row.appendChild(document.createElement(k === 0 ? 'th' : 'td')).textContent = v));
    }
    return t;
  }

  /** One gate's scatter: x the fraction of time left-saturated, y right-saturated, a dot per cell coloured by its layer. */
  function scatter(gate, panels) {
    const size = 200;
    const pad = 28;
    const svg = svgElement('svg', { viewBox: `0 0 ${size + pad + 8} ${size + pad + 28}`, class: 'chart scatter' }, document.createDocumentFragment());
    const x = (f) => pad + f * size;
    const y = (f) => 18 + (1 - f) * size;
    svgElement('rect', { x: x(0), y: y(1), width: size, height: size, class: 'frame' }, svg);
    // Left and right saturation add up to at most 1: the diagonal bounds the dots.
    svgElement('line', { x1: x(0), y1: y(1), x2: x(1), y2: y(0), class: 'grid' }, svg);
    for (const f of [0, 0.5, 1]) {
      svgElement('text', { x: x(f), y: y(0) + 14, class: 'axis', 'text-anchor': 'middle' }, svg).textContent = f;
      svgElement('text', { x: x(0) - 4, y: y(f) + 4, class: 'axis', 'text-anchor': 'end' }, svg).textContent = f;
    }
    svgElement('text', { x: x(0.5), y: y(1) - 5, class: 'title', 'text-anchor': 'middle' }, svg).textContent = `${gate} gate`;
    for (const p of panels) {
      p.left.forEach((left, cell) => {
        const dot = svgElement('circle', { cx: x(left), cy: y(p.right[cell]), r: 2.2, class: `dot layer${p.layer % 4}` }, svg);
        svgElement('title', {}, dot).textContent = `layer ${p.layer + 1} cell ${cell}: left ${percent(left)}, right ${percent(p.right[cell])}`;
      });
    }
    return svg;
  }

  /** Horizontal bars, one per row, with the value written at the bar's end. */
  function bars(items, max, format) {
    const rowHeight = 20;
    const labelWidth = 150;
    const width = 420;
    const svg = svgElement('svg', { viewBox: `0 0 ${width} ${items.length * rowHeight + 4}`, class: 'chart bars' }, document.createDocumentFragment());
    items.forEach((item, k) => {
      const top = k * rowHeight + 2;
      svgElement('text', { x: labelWidth - 6, y: top + 13, class: 'axis', 'text-anchor': 'end' }, svg).textContent = item.label;
      const w = max > 0 ? (item.value / max) * (width - labelWidth - 60) : 0;
      svgElement('rect', { x: labelWidth, y: top + 2, width: Math.max(0, w), height: rowHeight - 6, class: 'bar' }, svg);
      svgElement('text', { x: labelWidth + w + 4, y: top + 13, class: 'axis' }, svg).textContent = format(item.value);
    });
    return svg;
  }

  function place(id, figures, numbers) {
    const box = document.getElementById(id);
    box.textContent = '';
    const drawn = document.createElement('div');
    drawn.className = 'figures';
    for (const f of figures) drawn.appendChild(f);
    box.appendChild(drawn);
    box.appendChild(numbers);
  }

  function render(r) {
    const layers = [...new Set(r.saturation.map((s) => s.layer))];
    summary.textContent = `${r.chars.toLocaleString('en-US')} characters of ${r.measured === 'validation' ? 'the validation split' : "the explorer's sample (the corpus changed since training, so no held-out split is known)"} of ${r.folder}: ${r.bitsPerChar.toFixed(3)} bits/char, the top guess wrong at ${percent(r.errorRate)}; measured in ${(r.ms / 1000).toFixed(1)} s.`;
    const gates = [...new Set(r.saturation.map((s) => s.gate))];
    const mean = (a) => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);
    const legend = document.createElement('p');
    legend.className = 'legend';
    for (const l of layers) {
      const key = legend.appendChild(document.createElement('span'));
      key.className = `key layer${l % 4}`;
      key.textContent = `layer ${l + 1}`;
    }
    const saturationTable = table(
      ['', 'mean left', 'mean right', 'cells mostly left', 'cells mostly right'],
      r.saturation.map((s) => [`layer ${s.layer + 1} ${s.gate}`, percent(mean(s.left)), percent(mean(s.right)), String(s.left.filter((v) => v > 0.5).length), String(s.right.filter((v) => v > 0.5).length)]),
    );
    const numbers = document.createElement('div');
    numbers.append(legend, saturationTable);
    place('saturation', gates.map((g) => scatter(g, r.saturation.filter((s) => s.gate === g))), numbers);

    const classes = r.classes.filter((c) => c.chars > 0);
    place(
      'classes',
      [bars(classes.map((c) => ({ label: CLASS_NAMES[c.charClass], value: c.bitsPerChar })), Math.max(...classes.map((c) => c.bitsPerChar)), (v) => v.toFixed(2))],
      table(['', 'characters', 'share', 'bits/char', 'top guess wrong'], classes.map((c) => [CLASS_NAMES[c.charClass], c.chars.toLocaleString('en-US'), percent(c.chars / r.chars), c.bitsPerChar.toFixed(3), percent(c.errorRate)])),
    );

    const ngramBox = document.getElementById('ngram');
    if (r.ngram) {
      place(
        'ngram',
        [bars(r.ngram.map((g) => ({ label: `order ${g.order} also wrong`, value: g.sharedWithLstm })), 1, percent)],
        table(['', 'n-gram wrong', "of the LSTM's errors, n-gram also wrong", "of the n-gram's errors, LSTM right"], r.ngram.map((g) => [`order ${g.order}`, percent(g.errorRate), percent(g.sharedWithLstm), percent(g.fixedByLstm)])),
      );
    } else {
      ngramBox.textContent = 'The text the model was trained on is not known (its corpus changed since), so no n-gram is counted.';
    }
    vscode.postMessage({ type: 'drawn', figures: document.querySelectorAll('svg.chart').length, rows: document.querySelectorAll('tr').length });
  }

  window.addEventListener('message', (event) => {
    if (event.data.type === 'show') render(event.data.report);
    if (event.data.type === 'error') summary.textContent = event.data.message;
  });
  vscode.postMessage({ type: 'ready' });
})();
