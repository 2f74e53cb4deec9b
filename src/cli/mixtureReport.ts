import { bitsPerChar } from '../core/predict/lossUnits';
import { MixtureInfo, answeringLabel, validationFigures } from '../core/predict/workspaceMixture';

const both = (x: number) => `${x.toFixed(3)} nats/char (${bitsPerChar(x).toFixed(3)} bits)`;
const count = (n: number) => n.toLocaleString('en-US');

/**
 * What `train` prints after training, each figure with what it is measured
 * on: the best validation loss on the whole validation split, the
 * mixture's figures on the characters it was fitted on (half of a sample
 * of the split, the n-gram reading them online as it reads a document in
 * the editor), and last what answers completions and its figure.
 */
export function trainingFigures(bestValLoss: number | undefined, valChars: number, mixture: MixtureInfo | undefined, ngramLabel: string): string[] {
  const lines: string[] = [];
  if (bestValLoss !== undefined) lines.push(`Best validation loss (LSTM, whole validation split, ${count(valChars)} chars): ${both(bestValLoss)}`);
  if (!mixture) return lines;
  const on = mixture.fitChars !== undefined ? `${count(mixture.fitChars)} validation chars` : 'part of the validation split';
  lines.push(`On ${on} (a sample spread over the split; the n-gram's discounts were fitted on as many before them):`);
  lines.push(`  LSTM ${both(mixture.valNats.lstm)}; ${ngramLabel} ${both(mixture.valNats.ngram)}; mixed with LSTM weight ${mixture.weightOfLstm.toFixed(2)} ${both(mixture.valNats.mixture)}`);
  if (mixture.online) lines.push(`  n-gram reading online ${both(mixture.online.ngram)}; learned mixer ${both(mixture.online.gated)}`);
  const dynamic = mixture.dynamicEvaluation;
  if (dynamic) lines.push(`  LSTM adapting (dynamic evaluation) ${both(dynamic.lstm)}; learned mixer with it ${both(dynamic.gated)}`);
  const answering = dynamic?.gated ?? validationFigures(mixture).answering;
  lines.push(`Completions in the editor: ${answeringLabel(mixture)}${dynamic ? ', the LSTM adapting to each document' : ''}: ${both(answering)} on those chars.`);
  return lines;
}
