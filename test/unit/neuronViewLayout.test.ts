// The neuron view's page at the width of a half-width panel (460 px), in
// Chromium: its header wraps instead of pushing ▶, the checkbox and the title
// off the right edge, the cell list names the current cell once, and the
// clamp table fits, so nothing needs sideways scrolling.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import { test } from 'node:test';
import * as path from 'path';
import { chromium } from 'playwright-core';
import { NEURON_VIEW_BODY } from '../../src/extension/panels/neuronViewBody';

const CHROMIUM = process.env.CHARLENS_CHROMIUM || '/usr/bin/chromium';
const MEDIA = path.resolve(__dirname, '../../../media');
const WIDTH = 460;

const media = (file: string) => fs.readFileSync(path.join(MEDIA, file), 'utf8');

/** The page as the webview loads it, with VS Code's messaging stood in for. */
const page = `<!DOCTYPE html><html><head><meta charset="UTF-8"><style>${media('neuronView.css')}</style></head>
<body>${NEURON_VIEW_BODY}
<script>window.acquireVsCodeApi = () => ({ postMessage() {} });</script>
<script>${media('theme.js')}</script>
<script>${media('neuronView.js')}</script></body></html>`;

const current = { layer: 2, index: 51, kind: 'c' };
const cells = [
  { ...current, label: '{ } depth, r = 0.93, top-1% precision 0.99' },
  { layer: 1, index: 7, kind: 'c', label: 'inside comment, r = -0.92, top-1% precision 0.99' },
];
const chars = [...'static int parse_header(const char *line, size_t length)\n{\n\treturn 0;\n}\n'].map((char, offset) => ({
  char,
  offset,
  activation: Math.sin(offset),
  probability: 0.5,
  guesses: [...'abcde'].map((g) => ({ char: g, probability: 0.2 })),
}));
const run = (clamp: string, c?: number) => ({ clamp, c, bitsPerChar: 2.3456, featureBitsPerChar: 1.2345, otherBitsPerChar: 3.4567 });
const clamp = {
  type: 'clamp',
  neuron: current,
  feature: 'inside a { } block, 3 or more deep',
  result: {
    chars: 200_000,
    measured: 'validation',
    folder: 'kernel',
    featureChars: 12_345,
    ms: 1234,
    runs: [run('none'), run('zero', 0), run('mean', -0.1234)],
    completion: { prime: 'static int parse_header(const char *line)\n{\n', texts: ['\treturn 0;\n}', '\treturn -EINVAL;\n}', '\tif (!line) return 0;'] },
  },
};

test('the neuron view fits a 460 px panel: the header wraps, the cell list and the clamp table fit, nothing scrolls sideways', async () => {
  // npm test installs Debian's Chromium first (test/host/setup.sh): its absence is a broken setup, not a reason to pass.
  assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: run bash test/host/setup.sh (or name another with CHARLENS_CHROMIUM)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const tab = await browser.newPage({ viewport: { width: WIDTH, height: 800 } });
    await tab.setContent(page);
    await tab.evaluate(
      ([show, clampMessage]) => {
        window.postMessage(show, '*');
        window.postMessage(clampMessage, '*');
        (document.getElementById('clamp') as HTMLDetailsElement).open = true;
      },
      [{ type: 'show', title: 'layer 3 cell 51 (tanh(c)): { } depth · main.c · workspace model', neuron: current, cells, chars }, clamp] as const,
    );
    await tab.waitForFunction(() => document.querySelectorAll('#clampResult table tr').length === 4);
    const layout = await tab.evaluate(() => {
      const right = (selector: string) => Math.max(...Array.from(document.querySelectorAll(selector), (e) => e).map((e) => e.getBoundingClientRect().right));
      const title = document.getElementById('title')!.getBoundingClientRect();
      const select = document.getElementById('cells') as HTMLSelectElement;
      return {
        scrollWidth: document.documentElement.scrollWidth,
        header: right('header > *'),
        table: right('#clampResult table'),
        titleWidth: title.width,
        options: Array.from(select.options, (o) => o.textContent),
        selected: select.selectedOptions[0]?.textContent,
      };
    });
    assert.ok(layout.scrollWidth <= WIDTH, `the page is ${layout.scrollWidth} px wide`);
    assert.ok(layout.header <= WIDTH, `the header reaches ${layout.header} px`);
    assert.ok(layout.table <= WIDTH, `the clamp table reaches ${layout.table} px`);
    assert.ok(layout.titleWidth > WIDTH / 2, `the title has a line of its own (${layout.titleWidth} px wide), not a word per line`);
    assert.equal(layout.options.filter((o) => o!.startsWith('layer 3 cell 51')).length, 1, `the current cell is listed once: ${layout.options.join(' | ')}`);
    assert.equal(layout.selected, `layer 3 cell 51: ${cells[0].label}`);
  } finally {
    await browser.close();
  }
});
