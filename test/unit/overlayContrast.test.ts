// The overlays' colours keep text readable (issue 26 item 4): in VS Code's
// default themes, the editor's text and every prediction-overlay colour keep
// WCAG AA contrast (4.5:1) on the editor's background and on every
// neuron-overlay background laid over it (the two overlays can be on
// together), computed from the themes' colours and the defaults package.json
// contributes for each kind of theme.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ACTIVATION_BUCKETS, PREDICTION_BUCKETS } from '../../src/extension/lens/buckets';

const AA = 4.5;

type Kind = 'dark' | 'light' | 'highContrast' | 'highContrastLight';

/**
 * editor.background and editor.foreground of the themes VS Code ships
 * (extensions/theme-defaults/themes of VS Code 1.139): the defaults of this
 * release (Dark 2026, Light 2026), of earlier ones (Dark Modern, Light
 * Modern), and the high-contrast pair (High Contrast Light sets neither, so
 * the workbench's own defaults apply).
 */
const THEMES: Array<{ name: string; kind: Kind; background: string; foreground: string }> = [
  { name: 'Dark 2026', kind: 'dark', background: '#121314', foreground: '#BBBEBF' },
  { name: 'Light 2026', kind: 'light', background: '#FFFFFF', foreground: '#202020' },
  { name: 'Dark Modern', kind: 'dark', background: '#1F1F1F', foreground: '#CCCCCC' },
  { name: 'Light Modern', kind: 'light', background: '#FFFFFF', foreground: '#3B3B3B' },
  { name: 'Default High Contrast', kind: 'highContrast', background: '#000000', foreground: '#FFFFFF' },
  { name: 'Default High Contrast Light', kind: 'highContrastLight', background: '#FFFFFF', foreground: '#292929' },
];

interface Rgba {
  rgb: [number, number, number];
  alpha: number;
}

function parse(hex: string): Rgba {
  const m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(hex);
  assert.ok(m, `${hex} is #rrggbb or #rrggbbaa`);
  const rgb = [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16)) as [number, number, number];
  return { rgb, alpha: m[2] ? parseInt(m[2], 16) / 255 : 1 };
}

/** `top` drawn over the opaque `bottom`, as the browser blends them (in sRGB). */
function over(top: Rgba, bottom: [number, number, number]): [number, number, number] {
  return top.rgb.map((c, i) => c * top.alpha + bottom[i] * (1 - top.alpha)) as [number, number, number];
}

/** WCAG 2's relative luminance and contrast ratio. */
function luminance(rgb: [number, number, number]): number {
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: [number, number, number], b: [number, number, number]): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
  contributes: { colors: Array<{ id: string; defaults: Record<Kind, string> }> };
};
const colour = (id: string, kind: Kind): Rgba => {
  const entry = manifest.contributes.colors.find((c) => c.id === id);
  assert.ok(entry, `package.json contributes ${id}`);
  return parse(entry.defaults[kind]);
};

for (const theme of THEMES) {
  test(`${theme.name}: the editor's text and the prediction colours keep ${AA}:1 on the editor and on every neuron background`, () => {
    const background = parse(theme.background).rgb;
    const texts = [{ name: 'editor.foreground', rgb: over(parse(theme.foreground), background) }, ...PREDICTION_BUCKETS.map((b) => ({ name: b.color, rgb: over(colour(b.color, theme.kind), background) }))];
    const backgrounds = [{ name: 'editor.background', rgb: background }, ...ACTIVATION_BUCKETS.map((b) => ({ name: b.color, rgb: over(colour(b.color, theme.kind), background) }))];
    const low: string[] = [];
    for (const text of texts) {
      for (const back of backgrounds) {
        const ratio = contrast(text.rgb, back.rgb);
        if (ratio < AA) low.push(`${text.name} on ${back.name}: ${ratio.toFixed(2)}:1`);
      }
    }
    assert.deepEqual(low, []);
  });
}

test('the neuron backgrounds still show: each bucket is further from the editor background than the one before it', () => {
  for (const theme of THEMES) {
    const background = parse(theme.background).rgb;
    for (const side of [ACTIVATION_BUCKETS.slice(0, 4).reverse(), ACTIVATION_BUCKETS.slice(4)]) {
      const distance = side.map((b) => Math.hypot(...over(colour(b.color, theme.kind), background).map((c, i) => c - background[i])));
      distance.forEach((d, k) => assert.ok(d > (k === 0 ? 8 : distance[k - 1] + 8), `${theme.name}, ${side[k].color}: ${d.toFixed(1)} from the background`));
    }
  }
});
