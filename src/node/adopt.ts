// Carrying out an adoption plan (reconcile.ts) in a RuntimeManager: shared by the
// node agent and `statelet run`.
import type { Actor } from 'xstate';
import type { podMachine } from '../../machines/pod/index.js';
import type { EventRecord } from '../../machines/types.js';
import type { CriClient } from '../cri/client.js';
import type { Pod } from '../k8s/types.js';
import { generatePodSandboxConfig } from '../kuberuntime/config.js';
import type { RuntimeManager } from '../manager.js';
import type { AdoptionRegistry } from './adoption.js';
import { planAdoption, resumeProbes, type AdoptionPlan, type Discard, type ReconcileEnv } from './reconcile.js';
import type { PodCheckpoint } from './checkpoint.js';
import type { RuntimePod } from './runtime-view.js';

export function reconcileEnv(manager: RuntimeManager, podLogsDir: string, sandboxLabels: Record<string, string> = {}): ReconcileEnv {
  return {
    podInput: (pod) => manager.podInput(pod),
    sandboxConfig: (pod, attempt) => {
      const config = generatePodSandboxConfig(pod, attempt, podLogsDir);
      config.labels = { ...config.labels, ...sandboxLabels };
      return config;
    },
    now: Date.now(),
  };
}

/** planAdoption, falling back to "remove what the runtime holds, start afresh" when the plan cannot be made. */
export async function safePlan(pod: Pod, rp: RuntimePod | undefined, cp: PodCheckpoint | undefined, env: ReconcileEnv, log: (m: string) => void): Promise<AdoptionPlan> {
  try {
    return await planAdoption(pod, rp, cp, env);
  } catch (err) {
    log(`pod ${pod.metadata.namespace}/${pod.metadata.name}: cannot adopt what the runtime runs (${(err as Error).message}); removing it and starting afresh`);
    return {
      kind: 'fresh',
      facts: [],
      running: new Map(),
      skipPreStop: new Set(),
      suppressStarted: new Set(),
      discard: rp ? [{ sandboxes: rp.sandboxes, instances: rp.instances, why: 'it cannot be adopted' }] : [],
      notes: [],
      from: 'none',
    };
  }
}

/**
 * Stops and removes runtime objects of a pod that cannot be adopted (duplicates, containers
 * not in the spec, an empty sandbox), with a Killing event for each instance that ran.
 */
export async function discardRuntime(client: CriClient, manager: RuntimeManager, pod: Pod, items: Discard[], log: (m: string) => void): Promise<void> {
  for (const d of items) {
    for (const inst of d.instances) {
      if (inst.status.state === 'running') manager.events$.next(manager.recorder.record(pod, 'Normal', 'Killing', `Stopping container ${inst.name}`, inst.name));
      log(`pod ${pod.metadata.namespace}/${pod.metadata.name}: removing container ${inst.name} ${inst.id.slice(0, 12)} (${d.why})`);
      // The kubelet's minimum grace: these are leftovers, not the pod's own instances.
      await client.stopContainer({ containerId: inst.id, timeout: 2 }).catch(() => {});
      await client.removeContainer({ containerId: inst.id }).catch(() => {});
    }
    for (const sb of d.sandboxes) {
      log(`pod ${pod.metadata.namespace}/${pod.metadata.name}: removing sandbox ${sb.id.slice(0, 12)} (${d.why})`);
      await client.stopPodSandbox({ podSandboxId: sb.id }).catch(() => {});
      await client.removePodSandbox({ podSandboxId: sb.id }).catch(() => {});
    }
  }
}

/**
 * Adds the pod to the manager as the plan says: fresh, or restored with the runtime's
 * facts delivered and the adopted instances registered. `orphan`: deleted at once.
 */
export function addPlanned(manager: RuntimeManager, registry: AdoptionRegistry, pod: Pod, plan: AdoptionPlan | undefined, orphan = false): void {
  if (!plan || plan.kind === 'fresh') {
    manager.addPod(pod);
    return;
  }
  for (const [id, at] of plan.running) registry.running.set(id, at);
  for (const id of plan.skipPreStop) registry.skipPreStop.add(id);
  const suppress = new Set(plan.suppressStarted);
  const filterEvent = (ev: EventRecord) => {
    if (ev.reason !== 'Started' || !suppress.size) return true;
    const name = /\{(.+)\}$/.exec(ev.fieldPath ?? '')?.[1];
    return !(name && suppress.delete(name));
  };
  manager.addPod(pod, {
    snapshot: plan.snapshot as never,
    startTime: plan.startTime,
    previousStatus: plan.previousStatus,
    filterEvent,
    afterStart: (actor: Actor<typeof podMachine>) => {
      // An orphan is deleted before it hears what changed, so that nothing is restarted just to be killed.
      if (orphan) actor.send({ type: 'DELETE', at: Date.now() });
      for (const f of plan.facts) actor.send(f as never);
      resumeProbes(actor, Date.now());
      if (!orphan && plan.deletion && !actor.getSnapshot().context.deletion) {
        actor.send({ type: 'DELETE', gracePeriodSeconds: plan.deletion.gracePeriodOverride, force: plan.deletion.force, at: Date.now() });
      }
    },
  });
}
