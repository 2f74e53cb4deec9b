import { InferenceModel, LstmState } from '../../src/core/model/inference';
import { initialWeights } from '../../src/core/model/lstmInit';
import { Random } from '../../src/core/random';
import { feed } from '../../src/core/predict/sampling';
import { Vocabulary } from '../../src/core/text/vocabulary';

/** A small random LSTM with large weights, so that every character moves its state visibly. */
export const vocabulary = Vocabulary.fromText('abcdefghijklmnopqrstuvwxyz (){};=+<>\n\t😀');
export const config = { vocabSize: vocabulary.size, embeddingSize: 8, hiddenSize: 16, layers: 2, dropout: 0 };
export const weights = initialWeights(config, new Random(2));
for (const a of weights.values()) for (let i = 0; i < a.length; i++) a[i] *= 10;

/** The tiny model, counting how many characters it is fed. */
export function countingModel() {
  const model = new InferenceModel(config, weights);
  let steps = 0;
  const advance = model.advance.bind(model);
  model.advance = (state: LstmState, id: number) => {
    steps++;
    return advance(state, id);
  };
  return { model, steps: () => steps };
}

/** The state after reading all of `text` from the zero state. */
export const exactState = (text: string): LstmState => {
  const model = new InferenceModel(config, weights);
  return feed(model, vocabulary, model.zeroState(), text);
};
