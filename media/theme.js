// Theme colours for CharLens's webview pages, loaded before each page's own script (see webviewHtml.ts).
window.charlensTheme = {
  /**
   * A theme colour that package.json contributes, as a CSS value. In webviews
   * VS Code names a colour's variable by turning only the FIRST dot of its id
   * into a dash (charlens.neuron.positive4 -> --vscode-charlens-neuron.positive4),
   * unlike the workbench, which turns every dot; take the name this VS Code
   * defines, escaped, since a dot is not allowed unescaped in var().
   */
  themeColor(id) {
    const style = getComputedStyle(document.documentElement);
    const names = [`--vscode-${id.replace('.', '-')}`, `--vscode-${id.replace(/\./g, '-')}`];
    const name = names.find((n) => style.getPropertyValue(n).trim() !== '') ?? names[0];
    return `var(${CSS.escape(name)})`;
  },
  mix: (color, fraction) => `color-mix(in srgb, ${color} ${Math.round(fraction * 100)}%, transparent)`,
  /** Diverging scale for a cell's activation in [-1, 1]: blue for negative, red for positive, transparent at zero. Looked up per call: the theme may have changed. */
  activationColor(a) {
    const color = window.charlensTheme.themeColor(a < 0 ? 'charlens.neuron.negative4' : 'charlens.neuron.positive4');
    return window.charlensTheme.mix(color, Math.min(1, Math.abs(a)));
  },
  /** How a character is shown in a cell: blanks made visible. */
  shown: (ch) => (ch === ' ' ? '·' : ch === '\n' ? '⏎' : ch === '\t' ? '→' : ch),
  /** A `.code` span of the characters, each its own span coloured by the cell's activation after it. */
  colouredCode(chars, activations) {
    const code = document.createElement('span');
    code.className = 'code';
    chars.forEach((ch, i) => {
      const c = document.createElement('span');
      c.textContent = window.charlensTheme.shown(ch);
      c.style.background = window.charlensTheme.activationColor(activations[i]);
      code.appendChild(c);
    });
    return code;
  },
};
