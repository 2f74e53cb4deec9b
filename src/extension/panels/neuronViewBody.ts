/** The neuron view's page body (media/neuronView.js fills it): apart from the panel, so a layout test can load the page in a browser without VS Code. */
export const NEURON_VIEW_BODY = `<header>
  <button id="prev" title="Previous cell">◀</button>
  <select id="cells" title="Cells the neuron explorer labelled"></select>
  <button id="next" title="Next cell">▶</button>
  <label><input type="checkbox" id="useH"> h instead of tanh(c)</label>
  <span id="title"></span>
</header>
<p id="hint">Each character's background is the cell's activation after reading it (blue negative, red positive); below it, the model's top 5 guesses for that character, shaded by probability. Click a character to reveal it in the editor and see which earlier characters drove its probability (Why This Prediction: underlined green where they raised it, amber where they lowered it).</p>
<p id="why"></p>
<details id="clamp"><summary>Does this cell matter?</summary>
<p class="note">The model reads a fixed sample of its validation text (the same for every cell, a few seconds) as trained, with this cell's c held at 0, and held at its mean: the loss in bits per character, overall and where the explorer's feature for the cell is on, and a greedy completion of one prime under each.</p>
<button id="measure">Clamp the cell</button> <span id="clampStatus"></span>
<div id="clampResult"></div>
</details>
<div id="text"></div>`;
