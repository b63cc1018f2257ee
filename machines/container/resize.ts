// In-place resize (KEP-1287) for the container chart: which spec the running instance
// has, and what an edit asks of it. The rule itself is machines/resize.ts
// resizeDecision (the kubelet's computePodResizeAction); this module only feeds it the
// chart's view, so the guards in setup.ts stay one line each.
//
// The kubelet compares the desired spec with what the runtime last took for the running
// container (computePodResizeAction reads the status / runtime resources, not the old
// spec), so a resize that failed is retried, and an edit back to the running values
// cancels it.
import type { Container } from '../../src/k8s/types.js';
import { invalidEditMessage, podWithContainer, resizeDecision, type ResizeDecision, type UpdateContainerResourcesInput } from '../resize.js';
import type { EventRecord } from '../types.js';
import type { ContainerContext, ContainerEvent } from './types.js';

/** The container as its current instance runs it: the spec of record with the resources the runtime took. */
export function runningSpec(context: ContainerContext): Container {
  return context.actuated ? { ...context.container, resources: context.actuated.resources } : context.container;
}

/** computePodResizeAction for a SPEC_UPDATE reaching a running container. */
export function editDecision(context: ContainerContext, event: ContainerEvent): ResizeDecision | undefined {
  if (event.type !== 'SPEC_UPDATE') return undefined;
  const decision = resizeDecision(runningSpec(context), event.container);
  // Without InPlacePodVerticalScaling a container's resources are immutable (ValidatePodUpdate).
  return !context.config.featureGates.InPlacePodVerticalScaling && (decision === 'resize' || decision === 'restart') ? 'invalid' : decision;
}

/**
 * The spec of record against the running instance (an edit applied while postStart ran,
 * acted on once the container runs, as the kubelet's next SyncPod does).
 */
export function pendingDecision(context: ContainerContext): ResizeDecision {
  // Checked after every event while Running (eventless guards): the common case, resources
  // taken from the spec itself, is answered without comparing the containers.
  if (!context.actuated || context.actuated.resources === context.container.resources) return 'none';
  return resizeDecision(runningSpec(context), context.container);
}

/** updateContainerResources' input: the kubelet generates the linux resources from the pod with the edited container. */
export function resizeInput(context: ContainerContext): UpdateContainerResourcesInput {
  const container = { ...context.container, resources: context.resize?.resources ?? context.container.resources };
  return { containerId: context.instance?.id ?? '', pod: podWithContainer(context.pod, container), container };
}

/** ValidatePodResize refuses the edit: the Warning InvalidManifest event (the container runs on with its spec). */
export function refusedEditEvent(context: ContainerContext, event: ContainerEvent): EventRecord {
  const message = event.type === 'SPEC_UPDATE' ? invalidEditMessage(runningSpec(context), event.container) : 'Ignoring an invalid edit';
  return { type: 'Warning', reason: 'InvalidManifest', message };
}
