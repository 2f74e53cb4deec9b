import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { CommandArgs, UsageError, parseCommand } from '../../src/cli/args';
import { benchCells, hiddenForParameters } from '../../src/cli/benchCells';
import { commandSpec } from '../../src/cli/commandSpecs';
import { loadCheckpoint } from '../../src/core/model/checkpoint';
import { ModelConfig, parameterCount } from '../../src/core/model/modelConfig';
import { structuredText, tempDir } from './helpers';

/** What `charlens bench cells` printed to stdout. */
async function runCells(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const write = process.stdout.write;
  const writeErr = process.stderr.write;
  process.stdout.write = ((chunk: unknown) => (lines.push(...String(chunk).split('\n').slice(0, -1)), true)) as typeof process.stdout.write;
  process.stderr.write = () => true;
  try {
    await benchCells(parseCommand(commandSpec('bench'), ['cells', ...args]) as CommandArgs);
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
  return lines;
}

test('bench cells trains the three cells for the same budget, then the GRU and RNN at the LSTM parameter count, and measures every row', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'train.c'), structuredText(600, 1));
  fs.writeFileSync(path.join(dir, 'test.c'), structuredText(60, 2));
  const out = path.join(dir, 'cells');
  const lines = await runCells([path.join(dir, 'train.c'), path.join(dir, 'test.c'), '--minutes', '0.2', '--cursors', '20', '--out', out]);
  const table = lines.filter((line) => line.startsWith('|')).map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
  const [header, rule, ...rows] = table;
  assert.deepEqual(header, ['cell', 'sized by', 'model', 'parameters', 'steps', 'val', 'alone', 'mixer static', 'mixer online', 'completion alone', 'completion mixer online']);
  assert.ok(rule.every((cell) => cell === '---'));
  assert.deepEqual(
    rows.map((row) => `${row[0]} ${row[1]}`),
    ['LSTM time budget', 'GRU time budget', 'RNN time budget', 'GRU LSTM params', 'RNN LSTM params'],
  );
  const number = (cell: string) => Number(cell.replace(/,/g, ''));
  for (const row of rows) {
    assert.equal(row.length, header.length);
    assert.match(row[2], new RegExp(`^\\d+x\\d+ ${row[0]}$`));
    assert.ok(number(row[4]) > 0, `${row[0]} trained no steps`);
    for (const nats of row.slice(5, 9)) assert.ok(number(nats) > 0 && number(nats) < 10, `${row[0]} ${row[1]}: nats/char ${nats}`);
    for (const completion of row.slice(9)) assert.match(completion, /^\d+\.\d% \/ \d+\.\d\d$/);
  }
  // Each row is the model saved in its own folder; the equal-parameter ones are the LSTM's size to a unit.
  const config = (name: string) => loadCheckpoint(path.join(out, name)).config;
  const lstm = config('lstm-budget');
  for (const cell of ['gru', 'rnn'] as const) {
    const equal = config(`${cell}-parameters`);
    assert.equal(equal.layers, lstm.layers);
    const oneUnit = parameterCount({ ...equal, hiddenSize: equal.hiddenSize + 1 }) - parameterCount(equal);
    assert.ok(Math.abs(parameterCount(equal) - parameterCount(lstm)) <= oneUnit, `${cell} at ${parameterCount(equal)} parameters against the LSTM's ${parameterCount(lstm)}`);
    assert.equal(number(rows.find((row) => row[0] === cell.toUpperCase() && row[1] === 'LSTM params')![3]), parameterCount(equal));
  }
  await assert.rejects(runCells([path.join(dir, 'train.c'), path.join(dir, 'test.c'), '--minutes', '0.03', '--out', out]), (err) => err instanceof UsageError && /not empty/.test(err.message));
});

test('hiddenForParameters: the hidden size whose parameter count is nearest the model it matches', () => {
  const lstm: ModelConfig = { vocabSize: 90, embeddingSize: 64, hiddenSize: 160, layers: 2, dropout: 0, cell: 'lstm' };
  const target = parameterCount(lstm);
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    const hidden = hiddenForParameters(lstm, cell);
    const off = (h: number) => Math.abs(parameterCount({ ...lstm, cell, hiddenSize: h }) - target);
    assert.ok(off(hidden) <= off(hidden - 1) && off(hidden) <= off(hidden + 1), `${cell}: ${hidden}`);
  }
  assert.equal(hiddenForParameters(lstm, 'lstm'), 160);
  // A GRU has 3/4 of an LSTM's weights per unit, an RNN 1/4: more units for the same count.
  assert.ok(hiddenForParameters(lstm, 'gru') > 160 && hiddenForParameters(lstm, 'rnn') > hiddenForParameters(lstm, 'gru'));
});
