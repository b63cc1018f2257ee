// statelet's library API: the machines, the manager, the CRI client, the
// embedded runtime and the Kubernetes shapes.
export * from '../machines/index.js';
export { RuntimeManager, stateString, type RuntimeManagerOptions, type TransitionRecord, type PodStatusUpdate, type PodDetails, type ProbeResultRecord } from './manager.js';
export { createRuntimeActors, toInstanceStatus, type RuntimeActors, type RuntimeActorOptions } from './actors/index.js';
export { runHandler, HookError, KUBE_VERSION } from './actors/run-handler.js';
export { createProbeActor } from './actors/probe.js';
export { Pleg, type PlegEvent } from './pleg.js';
export { podStatusFrom, containerStatusFrom } from './status.js';
export { realClock, type Clock } from './clock.js';
export { CriClient, normalizeEndpoint, DEFAULT_RUNTIME_REQUEST_TIMEOUT_MS, type CriClientOptions, type CallOptions } from './cri/client.js';
/** The runtime seam (the kubelet's internalapi): what RuntimeManager accepts as `client`. */
export type { RuntimeService, ImageService, CriRuntime, RuntimeVersioner, PodSandboxManager, ContainerManager, ContainerStatsManager } from './cri/services.js';
export * from './cri/errors.js';
export { loadCriProto } from './cri/proto.js';
/** CRI v1 message shapes (runtime.v1), kept apart from the Kubernetes types of the same names. */
export type * as cri from './cri/types.js';
// The servers are loaded when first started (src/lazy-entry.ts): importing the
// entry does not load grpc-js's server, ws, or the HTTP API (issue 15).
export { startEmbeddedRuntime, startInspectionServer, startInspection, startApiServer } from './lazy-entry.js';
export type { EmbeddedRuntime, EmbeddedRuntimeOptions } from './runtime/index.js';
export { loadFaultFile, type FaultRule, type FaultController } from './runtime/faults.js';
export type { InspectionServer, InspectionServerOptions } from './inspect/server.js';
export type { ApiServer, ApiServerOptions, AgentInfo } from './api/server.js';
export { NodeMetrics, type NodeMetricsOptions } from './api/metrics.js';
export type { InspectionOptions, InspectionSession } from './inspect/session.js';
export { loadPod, parseManifest, applyDefaults, validatePod, validatePodUpdate, formatFieldError, ManifestError, type FieldError } from './k8s/manifest.js';
export { Quantity } from './k8s/quantity.js';
export { getPodQOS } from './kuberuntime/qos.js';
export { EventRecorder } from './k8s/events.js';
export type * from './k8s/types.js';
export type { ContainerConfig as ContainerMachineConfig } from '../machines/container/index.js';
export * as messages from './k8s/messages.js';
export { generateContainerConfig, generatePodSandboxConfig } from './kuberuntime/config.js';
export * from './kuberuntime/labels.js';
// The node agent (`statelet serve`) as a library: sources, sinks, adoption.
export { NodeAgent, type NodeAgentOptions } from './node/agent.js';
export type { PodSource, PodSourceHandlers, SourcedPod, SourceProblem } from './node/pod-source.js';
export { StaticPodSource, FILE_CHECK_FREQUENCY_MS, type StaticPodSourceOptions } from './node/static-source.js';
export { loadStaticPod, staticPodUid, nodeNameOf } from './node/static-pod.js';
export { NdjsonSink, TextSink, eventLine, podLine, type StatusSink, type EventSink, type NodeSink } from './node/sinks.js';
export { admitPodCount, rejectedStatus, DEFAULT_MAX_PODS } from './node/admission.js';
export { AdoptingCriClient, AdoptionRegistry, adoptionActors } from './node/adoption.js';
export { planAdoption, type AdoptionPlan } from './node/reconcile.js';
export { addPlanned } from './node/adopt.js';
export { listRuntimePods, runtimePod, NODE_NAME_LABEL } from './node/runtime-view.js';
export { CheckpointStore, type PodCheckpoint } from './node/checkpoint.js';
export { ContainerLogManager } from './node/container-logs.js';
