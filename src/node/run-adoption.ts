// `statelet run` on a runtime that already runs the pod (a run that was SIGKILLed, or
// crashed): its UID is derived from the manifest as a static pod's is, so the same
// manifest finds its sandbox and containers again, and they are adopted instead of
// started a second time. A second live `statelet run` of the same pod is refused.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CriClient } from '../cri/client.js';
import type { Pod } from '../k8s/types.js';
import type { RuntimeManager } from '../manager.js';
import type { AdoptionRegistry } from './adoption.js';
import { addPlanned, discardRuntime, reconcileEnv, safePlan } from './adopt.js';
import { runtimePod } from './runtime-view.js';

/** Adds the pod to the manager, adopting what the runtime already runs for its UID. */
export async function addOrAdopt(client: CriClient, manager: RuntimeManager, registry: AdoptionRegistry, pod: Pod, podLogsDir: string, log: (m: string) => void): Promise<'fresh' | 'adopted'> {
  const uid = pod.metadata.uid!;
  let rp;
  try {
    rp = await runtimePod(client, uid);
  } catch (err) {
    log(`cannot list the runtime's pods (${(err as Error).message}): starting the pod without adoption`);
  }
  if (!rp) {
    manager.addPod(pod);
    return 'fresh';
  }
  const plan = await safePlan(pod, rp, undefined, reconcileEnv(manager, podLogsDir), log);
  const what = `pod ${pod.metadata.namespace}/${pod.metadata.name} (uid ${uid})`;
  if (plan.kind === 'restore') log(`the runtime already runs ${what}: adopting its sandbox and ${rp.instances.length} container instance(s)`);
  else log(`the runtime holds leftovers of ${what} that cannot be adopted: stopping and removing them`);
  for (const n of plan.notes) log(`${what}: ${n}`);
  await discardRuntime(client, manager, pod, plan.discard, log);
  addPlanned(manager, registry, pod, plan);
  return plan.kind === 'restore' ? 'adopted' : 'fresh';
}

/**
 * One live `statelet run` per pod UID and runtime on this host: two would fight over one
 * sandbox. (Runs on their own in-process embedded runtimes share nothing and take no lock.)
 */
export function acquireRunLock(uid: string, endpoint: string): { release(): void } {
  const dir = join(tmpdir(), 'statelet-run-locks');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${createHash('sha256').update(endpoint).digest('hex').slice(0, 16)}-${uid}.pid`);
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid && pid !== process.pid) {
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('statelet');
      } catch {
        /* gone: a run that was killed */
      }
      if (alive) throw new Error(`pod uid ${uid} is already being run by statelet pid ${pid} on ${endpoint}`);
    }
  } catch (err) {
    if ((err as Error).message.startsWith('pod uid')) throw err;
  }
  writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
  return {
    release() {
      try {
        if (Number(readFileSync(file, 'utf8').trim()) === process.pid) rmSync(file, { force: true });
      } catch {
        /* gone */
      }
    },
  };
}
