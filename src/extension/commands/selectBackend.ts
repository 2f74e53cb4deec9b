import * as vscode from 'vscode';
import { BackendAvailability, BackendRequest } from '../../core/backendNames';
import { BackendProbe, ProbeBackends, SetBackend } from '../../engine/protocol';
import { CharLens } from '../context';

export type BackendItem = vscode.QuickPickItem & { backend?: BackendRequest };

/**
 * Switches the compute backend. The menu marks the one in use, lists those
 * that cannot load here apart with the reason, and a backend that cannot
 * load (picked there or passed by name) is refused with that reason before
 * the engine is asked. WebGPU on a software adapter runs on the CPU, slower
 * than wasm, so it is used only once the user confirms.
 */
export async function selectBackend(charlens: CharLens, backend?: BackendRequest): Promise<string | undefined> {
  let probe: BackendProbe;
  try {
    probe = await charlens.engine.request0(ProbeBackends);
  } catch (err) {
    charlens.notify.error(`the backends could not be probed: ${(err as Error).message}`);
    return undefined;
  }
  if (!backend) {
    const setting = vscode.workspace.getConfiguration('charlens').get<string>('backend');
    const picked = await charlens.notify.pick(backendItems(probe, setting), { title: 'CharLens: compute backend', placeHolder: `In use: ${probe.description}` });
    if (!picked?.backend) return undefined;
    backend = picked.backend;
  }
  const probed = probe.backends.find((b) => b.name === backend);
  if (probed?.unavailable) {
    charlens.notify.warn(`backend ${backend} is not available here: ${probed.unavailable}`);
    return undefined;
  }
  if (probed?.software && !(await confirmSoftware(charlens, probed))) return undefined;
  try {
    const result = await charlens.engine.request(SetBackend, { backend });
    await vscode.workspace.getConfiguration('charlens').update('backend', backend, vscode.ConfigurationTarget.Global);
    charlens.output.appendLine(`[engine] backend ${result.description}${result.notes.length ? ` (passed over ${result.notes.join('; ')})` : ''}`);
    charlens.statusBar.setBackend(result.description);
    charlens.notify.info(`training on ${result.description}.`);
    return result.backend;
  } catch (err) {
    charlens.notify.error(`backend ${backend} is not available: ${(err as Error).message}`);
    return undefined;
  }
}

/** auto and the backends that load here (the one in use checked), then, apart, those that do not with why. */
export function backendItems(probe: BackendProbe, setting: string | undefined): BackendItem[] {
  const fastest = probe.backends.find((b) => !b.unavailable && !b.software);
  const items: BackendItem[] = [
    { label: 'auto', description: `the fastest that loads here${fastest ? `: ${fastest.name}` : ''}${setting === 'auto' ? ' (your setting)' : ''}`, backend: 'auto' },
  ];
  for (const b of probe.backends.filter((b) => !b.unavailable)) {
    const inUse = b.name === probe.inUse;
    items.push({
      label: `${inUse ? '$(check) ' : ''}${b.name}`,
      description: inUse ? `in use: ${probe.description}` : b.description,
      detail: b.software ? 'only a software adapter here: it runs on the CPU, slower than wasm' : undefined,
      backend: b.name,
    });
  }
  const unavailable = probe.backends.filter((b) => b.unavailable);
  if (unavailable.length) items.push({ label: 'not available here', kind: vscode.QuickPickItemKind.Separator });
  for (const b of unavailable) items.push({ label: b.name, description: 'cannot load here', detail: b.unavailable, backend: b.name });
  return items;
}

async function confirmSoftware(charlens: CharLens, probed: BackendAvailability): Promise<boolean> {
  const use = 'Use the software adapter';
  const answer = await charlens.notify.ask(
    `${probed.name} would run on ${probed.description}, a software adapter that computes on the CPU and trains slower than wasm. Use it anyway?`,
    use,
  );
  return answer === use;
}
