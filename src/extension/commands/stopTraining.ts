import { CharLens } from '../context';
import { requestStop } from '../trainingProgress';

export async function stopTraining(charlens: CharLens): Promise<void> {
  const wasRunning = await requestStop(charlens);
  if (!wasRunning) charlens.notify.info('not training.');
}
