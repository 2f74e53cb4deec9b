import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { TrainShape } from './benchShapes';

/**
 * PyTorch's training step at a bench shape (scripts/torchLstmStep.py), the
 * baseline `bench train` (CPU) and the GPU check (cuDNN) time beside ours.
 */
export interface TorchTiming {
  msPerStep: number;
  version: string;
  threads: number;
  device: TorchDevice;
  /** On cuda: "NVIDIA H100 80GB HBM3", cuDNN's version and torch's TF32 switches. */
  deviceName?: string;
  cudnn?: number;
  tf32?: { cudnn: boolean; matmul: boolean };
}

export type TorchDevice = 'cpu' | 'cuda';

/**
 * scripts/torchLstmStep.py from the bundle (dist/), the GPU pack's bundle
 * (.gpu/dist/) or tsc output (out/src/cli/).
 */
const TORCH_SCRIPT = [['..'], ['..', '..'], ['..', '..', '..']].map((up) => path.join(__dirname, ...up, 'scripts', 'torchLstmStep.py')).find((p) => fs.existsSync(p));

/** The first Python that imports torch: the one on PATH, or Debian's (python3-torch installs for /usr/bin/python3). */
export function findTorch(): { python?: string; reason?: string } {
  if (!TORCH_SCRIPT) return { reason: 'scripts/torchLstmStep.py not found' };
  for (const python of ['python3', '/usr/bin/python3']) {
    if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return { python };
  }
  return { reason: 'no python3 here imports torch (Debian: apt-get install python3-torch)' };
}

/** Median ms per step over `rounds` rounds of `steps` steps; throws with the script's last line of stderr when it fails (no CUDA device, say). */
export function torchMsPerStep(python: string, d: TrainShape, steps: number, rounds: number, threads: number, device: TorchDevice = 'cpu'): TorchTiming {
  const args = [TORCH_SCRIPT!, ...[d.B, d.T, d.H, d.L, d.V, steps, rounds, threads].map(String), device];
  const r = spawnSync(python, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${python} ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchTiming;
}
