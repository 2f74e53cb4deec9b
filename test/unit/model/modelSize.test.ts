import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sizeForCorpus } from '../../../src/core/model/modelSize';

test('the model grows with the corpus and keeps parameters about the corpus size', () => {
  const small = sizeForCorpus(20_000, 80, 64, false);
  const medium = sizeForCorpus(400_000, 96, 64, false);
  const large = sizeForCorpus(10_000_000, 100, 64, true);
  assert.equal(small.layers, 1);
  assert.ok(small.hidden < medium.hidden && medium.hidden < large.hidden, `${small.hidden} < ${medium.hidden} < ${large.hidden}`);
  for (const [choice, chars] of [[medium, 400_000], [large, 10_000_000]] as const) assert.ok(choice.parameters <= chars && choice.parameters > chars / 8, choice.reason);
  assert.match(medium.reason, /2x128 LSTM, 0\.\d+M parameters for 0\.40M training characters/);
});

test('a GRU or RNN of the same corpus has the units its fewer parameters per unit allow, and is named so', () => {
  const lstm = sizeForCorpus(400_000, 96, 64, false);
  const gru = sizeForCorpus(400_000, 96, 64, false, 'gru');
  const rnn = sizeForCorpus(400_000, 96, 64, false, 'rnn');
  assert.ok(lstm.hidden <= gru.hidden && gru.hidden < rnn.hidden, `${lstm.hidden} <= ${gru.hidden} < ${rnn.hidden}`);
  assert.match(gru.reason, new RegExp(`^2x${gru.hidden} GRU, `));
  assert.match(rnn.reason, new RegExp(`^2x${rnn.hidden} RNN, `));
});

test('without a GPU a big corpus gets a model that trains in minutes, and the user is told why', () => {
  const cpu = sizeForCorpus(10_000_000, 100, 64, false);
  assert.equal(cpu.hidden, 256);
  assert.match(cpu.reason, /capped at 256 units without a GPU/);
  assert.equal(sizeForCorpus(10_000_000, 100, 64, true).hidden, 512);
});
