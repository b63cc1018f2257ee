// Container stop signals (KEP-4960, ContainerStopSignals, alpha since 1.33): the
// Kubernetes names (`SIGUSR1`, `SIGRTMIN+1`, `SIGRTMAX-2`) and the CRI Signal enum
// (`SIGUSR1`, `SIGRTMINPLUS1`, `SIGRTMAXMINUS2`) both ways. generateContainerConfig
// sends lifecycle.stopSignal as ContainerConfig.stop_signal; the status reports the
// effective signal as containerStatuses[].stopSignal (kuberuntime_container.go
// getContainerConfigStopSignal, kubelet_pods.go convertToAPIContainerStatuses).
import type { Signal as CriSignal } from '../cri/types.js';
import type { Container } from '../k8s/types.js';
import type { FeatureGates } from '../../machines/features.js';

/** `SIGRTMIN+1` -> `SIGRTMINPLUS1`, `SIGRTMAX-2` -> `SIGRTMAXMINUS2`, other names as they are. */
export function toCriSignal(name: string): CriSignal {
  return name.replace(/^SIGRTMIN\+(\d+)$/, 'SIGRTMINPLUS$1').replace(/^SIGRTMAX-(\d+)$/, 'SIGRTMAXMINUS$1') as CriSignal;
}

/** The reverse of toCriSignal; undefined for RUNTIME_DEFAULT (no signal to report). */
export function fromCriSignal(signal: string | undefined | null): string | undefined {
  if (!signal || signal === 'RUNTIME_DEFAULT') return undefined;
  return signal.replace(/^SIGRTMINPLUS(\d+)$/, 'SIGRTMIN+$1').replace(/^SIGRTMAXMINUS(\d+)$/, 'SIGRTMAX-$1');
}

/** ContainerConfig.stop_signal for a container: its lifecycle.stopSignal, else none (RUNTIME_DEFAULT). */
export function containerConfigStopSignal(container: Pick<Container, 'lifecycle'>): CriSignal | undefined {
  const s = container.lifecycle?.stopSignal;
  return s ? toCriSignal(s) : undefined;
}

/**
 * containerStatuses[].stopSignal, only with ContainerStopSignals on: the signal the runtime
 * reports (ContainerStatus.stop_signal: the spec's, else the image's STOPSIGNAL, else its
 * default), else the spec's own, since runtimes without KEP-4960 (containerd 1.6) report none.
 */
export function containerStatusStopSignal(
  container: Pick<Container, 'lifecycle'>,
  gates: Pick<FeatureGates, 'ContainerStopSignals'>,
  runtimeSignal?: string | null,
): string | undefined {
  if (!gates.ContainerStopSignals) return undefined;
  return fromCriSignal(runtimeSignal) ?? (container.lifecycle?.stopSignal || undefined);
}
