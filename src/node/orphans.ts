// The kubelet's orphan cleanup (kubelet_pods.go HandlePodCleanups): runtime pods that
// belong to this node but that no source holds any more are killed and removed. A
// restarted agent knows such a pod from its checkpoint, or, when that is gone, only
// from what the runtime recorded: the labels and the annotations the kubelet writes
// for exactly this case (grace periods, the preStop handler; killContainer restores
// them when the pod spec is unknown).
import type { Container, LifecycleHandler, Pod } from '../k8s/types.js';
import {
  CONTAINER_PRESTOP_HANDLER_ANNOTATION,
  POD_TERMINATION_GRACE_ANNOTATION,
} from '../kuberuntime/labels.js';
import type { RuntimePod } from './runtime-view.js';

/** A minimal Pod for a runtime pod whose spec is lost: enough to kill it as the kubelet would. */
export function podFromRuntime(rp: RuntimePod): Pod {
  const containers: Container[] = [];
  let grace: number | undefined;
  for (const inst of [...rp.instances].reverse()) {
    const tg = Number(inst.annotations[POD_TERMINATION_GRACE_ANNOTATION]);
    if (Number.isFinite(tg) && inst.annotations[POD_TERMINATION_GRACE_ANNOTATION] !== undefined) grace = tg;
    let c = containers.find((x) => x.name === inst.name);
    if (!c) containers.push((c = { name: inst.name, image: inst.image || 'unknown', imagePullPolicy: 'Never' } as Container));
    const preStop = inst.annotations[CONTAINER_PRESTOP_HANDLER_ANNOTATION];
    if (preStop) {
      try {
        c.lifecycle = { preStop: JSON.parse(preStop) as LifecycleHandler };
      } catch {
        /* unreadable: killed without it */
      }
    }
  }
  if (!containers.length) containers.push({ name: 'unknown', image: 'unknown', imagePullPolicy: 'Never' } as Container);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: rp.name || rp.uid, namespace: rp.namespace || 'default', uid: rp.uid },
    spec: { containers, restartPolicy: 'Never', terminationGracePeriodSeconds: grace ?? 30 },
  } as Pod;
}
