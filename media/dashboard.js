// The training dashboard page: draws what the extension posts (see src/extension/panels/dashboardPanel.ts).
(function () {
  const vscode = acquireVsCodeApi();
  const svg = document.getElementById('chart');
  const summary = document.getElementById('summary');
  const learned = document.getElementById('learned');
  const timing = document.getElementById('timing');
  const samples = document.getElementById('samples');
  const NS = 'http://www.w3.org/2000/svg';
  let last = { points: [], samples: [] };

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    parent.appendChild(node);
    return node;
  }

  function draw() {
    const { points } = last;
    svg.textContent = '';
    const width = svg.clientWidth || 600;
    const height = svg.clientHeight || 260;
    const pad = { left: 44, right: 12, top: 10, bottom: 28 };
    if (points.length === 0) return;
    const values = points.flatMap((p) => (p.valBits !== undefined && p.valBits !== null ? [p.trainBits, p.valBits] : [p.trainBits])).filter(Number.isFinite);
    const maxStep = Math.max(1, points[points.length - 1].step);
    const lo = Math.max(0, Math.floor(Math.min(...values) * 2) / 2);
    const hi = Math.ceil(Math.max(...values) * 2) / 2 || 1;
    const x = (step) => pad.left + (step / maxStep) * (width - pad.left - pad.right);
    const y = (bits) => pad.top + (1 - (bits - lo) / (hi - lo || 1)) * (height - pad.top - pad.bottom);
    for (let b = lo; b <= hi + 1e-9; b += (hi - lo) / 4 || 1) {
      el('line', { x1: pad.left, x2: width - pad.right, y1: y(b), y2: y(b), class: 'grid' }, svg);
      el('text', { x: pad.left - 6, y: y(b) + 4, class: 'axis', 'text-anchor': 'end' }, svg).textContent = b.toFixed(1);
    }
    el('text', { x: width - pad.right, y: height - 6, class: 'axis', 'text-anchor': 'end' }, svg).textContent = `step ${maxStep}`;
    const path = (pts, key) => pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.step).toFixed(1)},${y(p[key]).toFixed(1)}`).join('');
    el('path', { d: path(points.filter((p) => Number.isFinite(p.trainBits)), 'trainBits'), class: 'train' }, svg);
    const val = points.filter((p) => p.valBits !== undefined && p.valBits !== null);
    if (val.length > 0) {
      el('path', { d: path(val, 'valBits'), class: 'val' }, svg);
      for (const p of val) el('circle', { cx: x(p.step), cy: y(p.valBits), r: 3, class: 'val' }, svg);
    }
  }

  function clock(seconds) {
    const s = Math.max(0, Math.round(seconds));
    return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  }

  function render(message) {
    last = message;
    const p = message.points[message.points.length - 1];
    const val = [...message.points].reverse().find((q) => q.valBits !== undefined && q.valBits !== null);
    summary.textContent = p
      ? `step ${p.step} · train ${p.trainBits.toFixed(3)} bits/char${val ? ` · validation ${val.valBits.toFixed(3)} (step ${val.step})` : ''} · ${message.backend}`
      : 'Waiting for training to start…';
    const t = message.timing;
    timing.textContent = message.ended
      ? message.ended
      : t
        ? `${t.counter} (${Math.round(t.fraction * 100)}%) · ${clock(t.elapsedSeconds)} elapsed · ${clock(t.etaSeconds)} ${t.endsBy === 'budget' ? 'left of the time budget' : 'to the last step'}`
        : '';
    timing.classList.toggle('ended', Boolean(message.ended));
    learned.textContent = message.learned;
    draw();
    samples.textContent = '';
    for (const s of [...message.samples].reverse()) {
      const li = document.createElement('li');
      const head = document.createElement('div');
      head.className = 'sample-head';
      head.textContent = `step ${s.step}${s.valBits !== undefined && s.valBits !== null ? ` · validation ${s.valBits.toFixed(3)} bits/char` : ''}`;
      const pre = document.createElement('pre');
      pre.textContent = s.text;
      li.append(head, pre);
      samples.appendChild(li);
    }
    vscode.postMessage({ type: 'drawn', points: message.points.length, samples: message.samples.length, status: timing.textContent, learned: learned.textContent });
  }

  window.addEventListener('message', (event) => {
    if (event.data.type === 'history') render(event.data);
  });
  window.addEventListener('resize', draw);
  vscode.postMessage({ type: 'ready' });
})();
