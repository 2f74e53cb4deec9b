import { StopTraining } from '../../engine/protocol';
import { CharLens } from '../context';

export async function stopTraining(charlens: CharLens): Promise<void> {
  const wasRunning = await charlens.engine.request0(StopTraining);
  if (!wasRunning) charlens.notify.info('not training.');
}
