// The neuron view page: draws what the extension posts (see src/extension/panels/neuronPanel.ts).
(function () {
  const { themeColor, mix, activationColor, shown } = window.charlensTheme;
  const vscode = acquireVsCodeApi();
  const text = document.getElementById('text');
  const title = document.getElementById('title');
  const cells = document.getElementById('cells');
  const useH = document.getElementById('useH');
  let neuron = { layer: 0, index: 0, kind: 'c' };
  const clampStatus = document.getElementById('clampStatus');
  const clampResult = document.getElementById('clampResult');
  const why = document.getElementById('why');
  /** The glyph of each character shown, by its offset: what Why This Prediction marks. */
  const glyphs = new Map();
  /** The cell the clamp comparison shown is of: another cell's numbers are cleared. */
  let clampedCell;

  function render(message) {
    neuron = message.neuron;
    if (clampedCell && (clampedCell.layer !== neuron.layer || clampedCell.index !== neuron.index)) {
      clampedCell = undefined;
      clampResult.textContent = '';
      clampStatus.textContent = '';
    }
    title.textContent = message.title;
    useH.checked = neuron.kind === 'h';
    cells.textContent = '';
    // The current cell once: as its labelled entry when it has one, else as an entry of its own at the top.
    const labelled = message.cells.some((c) => c.layer === neuron.layer && c.index === neuron.index);
    if (!labelled) {
      const current = document.createElement('option');
      current.textContent = `layer ${neuron.layer + 1} cell ${neuron.index}`;
      current.value = '';
      cells.appendChild(current);
    }
    for (const c of message.cells) {
      const option = document.createElement('option');
      option.value = JSON.stringify(c);
      option.textContent = `layer ${c.layer + 1} cell ${c.index}: ${c.label}`;
      option.selected = c.layer === neuron.layer && c.index === neuron.index;
      cells.appendChild(option);
    }
    // Looked up per message: the theme (and with it the variables) may have changed.
    const expected = themeColor('charlens.prediction.expected');
    text.textContent = '';
    why.textContent = '';
    glyphs.clear();
    let line = document.createElement('div');
    line.className = 'line';
    text.appendChild(line);
    for (const c of message.chars) {
      const cell = document.createElement('div');
      cell.className = 'char';
      cell.title = `activation ${c.activation.toFixed(3)} · the model gave this character ${(c.probability * 100).toFixed(1)}%`;
      const top = document.createElement('div');
      top.className = 'glyph';
      top.textContent = shown(c.char);
      top.style.background = activationColor(c.activation);
      glyphs.set(c.offset, top);
      cell.appendChild(top);
      for (const g of c.guesses) {
        const guess = document.createElement('div');
        guess.className = g.char === c.char ? 'guess hit' : 'guess';
        guess.textContent = shown(g.char);
        guess.style.background = mix(expected, g.probability);
        cell.appendChild(guess);
      }
      cell.addEventListener('click', () => vscode.postMessage({ type: 'reveal', offset: c.offset }));
      line.appendChild(cell);
      if (c.char === '\n') {
        line = document.createElement('div');
        line.className = 'line';
        text.appendChild(line);
      }
    }
  }

  /** Why This Prediction for a clicked character: its contributors underlined by sign, as strong as their share of the strongest. */
  function renderWhy({ offset, summary, marks }) {
    why.textContent = summary;
    for (const glyph of glyphs.values()) glyph.style.boxShadow = glyph.style.outline = '';
    const largest = Math.max(...marks.map((m) => Math.abs(m.nats)));
    for (const m of marks) {
      const glyph = glyphs.get(m.offset);
      if (!glyph || !(largest > 0) || Math.abs(m.nats) < 0.1 * largest) continue;
      const color = mix(themeColor(m.nats > 0 ? 'charlens.why.raised3' : 'charlens.why.lowered3'), Math.abs(m.nats) / largest);
      glyph.style.boxShadow = `inset 0 -4px 0 ${color}`;
    }
    glyphs.get(offset)?.style.setProperty('outline', '1px solid var(--vscode-focusBorder)');
  }

  const element = (tag, text, className) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (className) e.className = className;
    return e;
  };
  const bits = (b) => (b === undefined ? '–' : b.toFixed(3));
  const measure = document.getElementById('measure');
  const count = (n) => n.toLocaleString('en-US');
  const percent = (p) => `${(p * 100).toFixed(1)}%`;
  /** A stretch of text with its blanks made visible, as the cells show them. */
  const visible = (text) => Array.from(text, shown).join('');
  const delta = (b, base) => (b === undefined || base === undefined ? '' : `${b - base >= 0 ? '+' : '−'}${Math.abs(b - base).toFixed(3)}`);
  const CLAMP_NAMES = { none: 'as trained', zero: 'c held at 0', mean: 'c held at its mean' };

  /** The comparison: a table of bits/char per run (with the change from the model as trained), then the completions side by side. */
  function renderClamp({ neuron: cell, result, feature }) {
    clampedCell = cell;
    measure.disabled = false;
    const text = result.measured === 'validation' ? 'the validation split' : "the explorer's sample (the corpus changed since training, so no held-out split is known)";
    const sample = result.windows > 1 ? ` in ${result.windows} windows spread over ${text} (${count(result.textChars)} characters)` : ` of ${text}`;
    clampStatus.textContent = `${count(result.chars)} characters scored${sample} of ${result.folder}${feature ? `, ${count(result.featureChars)} of them ${feature}` : ''}, in ${(result.ms / 1000).toFixed(1)} s`;
    clampResult.textContent = '';
    const table = element('table');
    const head = element('tr');
    for (const h of ['', 'bits/char', 'change', ...(feature ? [feature, 'change', 'elsewhere', 'change'] : [])]) head.appendChild(element('th', h));
    table.appendChild(head);
    const base = result.runs[0];
    for (const r of result.runs) {
      const row = element('tr');
      row.appendChild(element('th', r.c === undefined ? CLAMP_NAMES[r.clamp] : `${CLAMP_NAMES[r.clamp]} (c = ${r.c.toFixed(2)})`));
      const cells = [bits(r.bitsPerChar), delta(r.bitsPerChar, base.bitsPerChar)];
      if (feature) cells.push(bits(r.featureBitsPerChar), delta(r.featureBitsPerChar, base.featureBitsPerChar), bits(r.otherBitsPerChar), delta(r.otherBitsPerChar, base.otherBitsPerChar));
      for (const c of cells) row.appendChild(element('td', c));
      table.appendChild(row);
    }
    clampResult.appendChild(table);
    clampResult.appendChild(element('p', 'The prime ends:', 'note'));
    clampResult.appendChild(element('pre', result.completion.prime.slice(-160), 'prime'));
    const side = element('div', undefined, 'completions');
    result.runs.forEach((r, k) => {
      const column = element('div', undefined, 'completion');
      column.appendChild(element('h3', CLAMP_NAMES[r.clamp]));
      column.appendChild(element('pre', result.completion.texts[k]));
      side.appendChild(column);
    });
    clampResult.appendChild(side);
    const note = partingNote(result);
    clampResult.appendChild(note);
    vscode.postMessage({ type: 'clampDrawn', rows: table.rows.length - 1, note: note.textContent });
  }

  /**
   * Why completions can differ where the loss does not: greedy decoding
   * follows the likeliest character, so one near tie decides all after it.
   * Says where the completions part and what each run weighed there.
   */
  function partingNote(result) {
    const note = element('div', undefined, 'parting');
    const { parting, texts } = result.completion;
    if (!parting) {
      note.appendChild(element('p', 'The three completions are the same: with the cell clamped, the likeliest next character stays the likeliest at every step.', 'note'));
      return note;
    }
    const [, zero, mean] = result.runs;
    const sentences = [];
    if (bits(zero.bitsPerChar) === bits(mean.bitsPerChar) && texts[1] !== texts[2]) {
      const close = Math.abs(mean.c) < 0.1 ? ` (the cell's mean, c = ${mean.c.toFixed(2)}, is close to 0, so both hold it at almost the same value)` : '';
      sentences.push(`Both clamps cost the same ${bits(zero.bitsPerChar)} bits/char${close}, yet their completions differ.`);
    }
    sentences.push(
      'A greedy completion takes the likeliest character at each step, so where two characters are nearly tied a change too small to move the average loss picks the other one, and everything after follows from that choice. ' +
        `The completions part at their character ${parting.at + 1}${parting.at > 0 ? `, after "${visible(Array.from(texts[0]).slice(Math.max(0, parting.at - 24), parting.at).join(''))}"` : ''}; the two likeliest there:`,
    );
    note.appendChild(element('p', sentences.join(' '), 'note'));
    const list = element('ul', undefined, 'note');
    result.runs.forEach((r, k) => {
      const { first, second } = parting.choices[k];
      list.appendChild(element('li', `${CLAMP_NAMES[r.clamp]}: "${visible(first.char)}" ${percent(first.probability)}, "${visible(second.char)}" ${percent(second.probability)}`));
    });
    note.appendChild(list);
    return note;
  }

  measure.addEventListener('click', () => {
    measure.disabled = true;
    clampStatus.textContent = 'measuring…';
    vscode.postMessage({ type: 'clamp' });
  });
  function renderClampProgress({ stage, chars, of }) {
    clampStatus.textContent =
      stage === 'explore'
        ? `measuring… first the explorer's pass over its sample: ${count(chars)} of ${count(of)} characters`
        : `measuring… ${count(chars)} of ${count(of)} characters read, each three times (as trained and with each clamp)`;
  }
  document.getElementById('prev').addEventListener('click', () => vscode.postMessage({ type: 'step', delta: -1 }));
  document.getElementById('next').addEventListener('click', () => vscode.postMessage({ type: 'step', delta: 1 }));
  cells.addEventListener('change', () => {
    if (cells.value) vscode.postMessage({ type: 'choose', neuron: JSON.parse(cells.value) });
  });
  useH.addEventListener('change', () => vscode.postMessage({ type: 'choose', neuron: { layer: neuron.layer, index: neuron.index, kind: useH.checked ? 'h' : 'c' } }));
  window.addEventListener('message', (event) => {
    if (event.data.type === 'show') render(event.data);
    if (event.data.type === 'error') text.textContent = event.data.message;
    if (event.data.type === 'clamp') renderClamp(event.data);
    if (event.data.type === 'why') renderWhy(event.data);
    if (event.data.type === 'clampProgress') renderClampProgress(event.data);
    if (event.data.type === 'clampError') {
      measure.disabled = false;
      clampStatus.textContent = event.data.message;
    }
  });
  vscode.postMessage({ type: 'ready' });
})();
