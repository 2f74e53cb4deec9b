// The neuron view page: draws what the extension posts (see src/extension/panels/neuronPanel.ts).
(function () {
  const { themeColor, mix, activationColor, shown } = window.charlensTheme;
  const vscode = acquireVsCodeApi();
  const text = document.getElementById('text');
  const title = document.getElementById('title');
  const cells = document.getElementById('cells');
  const useH = document.getElementById('useH');
  let neuron = { layer: 0, index: 0, kind: 'c' };

  function render(message) {
    neuron = message.neuron;
    title.textContent = message.title;
    useH.checked = neuron.kind === 'h';
    cells.textContent = '';
    const current = document.createElement('option');
    current.textContent = `layer ${neuron.layer + 1} cell ${neuron.index}`;
    current.value = '';
    cells.appendChild(current);
    for (const c of message.cells) {
      const option = document.createElement('option');
      option.value = JSON.stringify(c);
      option.textContent = `layer ${c.layer + 1} cell ${c.index}: ${c.label}`;
      cells.appendChild(option);
    }
    // Looked up per message: the theme (and with it the variables) may have changed.
    const expected = themeColor('charlens.prediction.expected');
    text.textContent = '';
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

  document.getElementById('prev').addEventListener('click', () => vscode.postMessage({ type: 'step', delta: -1 }));
  document.getElementById('next').addEventListener('click', () => vscode.postMessage({ type: 'step', delta: 1 }));
  cells.addEventListener('change', () => {
    if (cells.value) vscode.postMessage({ type: 'choose', neuron: JSON.parse(cells.value) });
  });
  useH.addEventListener('change', () => vscode.postMessage({ type: 'choose', neuron: { layer: neuron.layer, index: neuron.index, kind: useH.checked ? 'h' : 'c' } }));
  window.addEventListener('message', (event) => {
    if (event.data.type === 'show') render(event.data);
    if (event.data.type === 'error') text.textContent = event.data.message;
  });
  vscode.postMessage({ type: 'ready' });
})();
