import { parentPort, workerData } from 'worker_threads';
import { instantiateKernels } from './kernelModules';
import { JobKind, Slot, WorkerInit, waitChange } from './workerControl';
import { WorkerStep } from './workerStep';

/**
 * A CPU trainer thread (dist/wasmTrainerWorker.js in the bundle): instantiates the
 * kernels on the shared memory, says it is ready, then runs its share of
 * each job the main thread posts in the control block until told to exit.
 */
const init = workerData as WorkerInit;
const control = new Int32Array(init.memory.buffer);
const step = new WorkerStep(instantiateKernels(init.modules, init.memory), init);
let job = Atomics.load(control, Slot.Job);
parentPort!.postMessage('ready');
for (;;) {
  waitChange(control, Slot.Job, job);
  job = Atomics.load(control, Slot.Job);
  const kind = control[Slot.Kind] as JobKind;
  if (kind === JobKind.Exit) break;
  step.run(kind);
  if (Atomics.add(control, Slot.DoneCount, 1) === init.count - 1) {
    Atomics.store(control, Slot.DoneCount, 0);
    Atomics.add(control, Slot.Done, 1);
    Atomics.notify(control, Slot.Done);
  }
}
