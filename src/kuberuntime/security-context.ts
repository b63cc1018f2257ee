// The security-context checks the kubelet makes while generating a container's
// config (kubelet 1.34, pkg/kubelet/kuberuntime): the effective security context
// (pkg/securitycontext DetermineEffectiveSecurityContext), the image user
// (helpers.go getImageUser) and verifyRunAsNonRoot (security_context_others.go),
// plus the PID namespace of an ephemeral container that targets another one
// (kuberuntime_container_linux.go generateLinuxContainerConfig).
import type { ImageStatusResponse, NamespaceOption } from '../cri/types.js';
import { formatPod } from '../k8s/format.js';
import * as msg from '../k8s/messages.js';
import type { Container, Pod, SecurityContext } from '../k8s/types.js';

/**
 * DetermineEffectiveSecurityContext for the fields statelet reads: the pod's
 * securityContext, overridden field by field by the container's.
 */
export function effectiveSecurityContext(pod: Pod, container: Container): SecurityContext {
  const p = pod.spec.securityContext ?? {};
  const c = container.securityContext ?? {};
  const pick = <K extends keyof SecurityContext>(k: K): SecurityContext[K] => (c[k] !== undefined && c[k] !== null ? c[k] : (p as SecurityContext)[k] ?? undefined);
  const out: SecurityContext = {};
  const runAsUser = pick('runAsUser');
  const runAsGroup = pick('runAsGroup');
  const runAsNonRoot = pick('runAsNonRoot');
  if (runAsUser !== undefined) out.runAsUser = runAsUser;
  if (runAsGroup !== undefined) out.runAsGroup = runAsGroup;
  if (runAsNonRoot !== undefined) out.runAsNonRoot = runAsNonRoot;
  return out;
}

/** The user an image runs as: a numeric uid, or a user name (getImageUser guarantees one of them). */
export type ImageUser = { uid: number; username?: undefined } | { uid?: undefined; username: string };

/**
 * getImageUser from an ImageStatus response: the image's uid if the runtime gave
 * one, else its user name if non-empty, else uid 0 ("If non of them is set, treat
 * it as root"), which also covers an absent image.
 */
export function imageUserFromStatus(res: Pick<ImageStatusResponse, 'image'> | null | undefined): ImageUser {
  const img = res?.image;
  if (img) {
    if (img.uid !== null && img.uid !== undefined) return { uid: Number(img.uid.value) };
    if (img.username) return { username: img.username };
  }
  return { uid: 0 };
}

const MAX_INT32 = 2147483647;

/**
 * verifyRunAsNonRoot: the CreateContainerConfigError message, or undefined when
 * the container may run. Nothing is checked unless the effective runAsNonRoot is
 * true; an explicit runAsUser decides alone (0 fails, anything else passes, the
 * image is not consulted); otherwise the image user: a name (any name, `root`
 * included) cannot be verified, uid 0 is root, a uid outside 0..MaxInt32 is invalid.
 */
export function verifyRunAsNonRoot(pod: Pod, container: Container, imageUser: ImageUser): string | undefined {
  const sc = effectiveSecurityContext(pod, container);
  if (sc.runAsNonRoot !== true) return undefined;
  const podRef = formatPod(pod);
  if (sc.runAsUser !== undefined) {
    return sc.runAsUser === 0 ? msg.runAsUserBreaksNonRootMessage(podRef, container.name) : undefined;
  }
  if (imageUser.uid === undefined) {
    // uid == nil && len(username) > 0; an empty name with no uid is let through (getImageUser never gives it).
    return imageUser.username ? msg.imageNonNumericUserMessage(imageUser.username, podRef, container.name) : undefined;
  }
  const uid = imageUser.uid;
  if (uid === 0) return msg.imageWillRunAsRootMessage(podRef, container.name);
  if (!(uid >= 0 && uid <= MAX_INT32)) return msg.imageInvalidUserIdMessage(uid, podRef, container.name);
  return undefined;
}

/**
 * The container's CRI namespace options (runtimeutil.NamespacesForPod as statelet
 * applies it: pid CONTAINER, network POD or NODE, ipc POD). With `pidTargetId`
 * (an ephemeral container's targetContainerName resolved to that container's
 * current ID) a CONTAINER pid namespace becomes TARGET with target_id, as
 * generateLinuxContainerConfig does; a shared (POD) or host pid namespace is kept.
 */
export function containerNamespaceOptions(pod: Pod, pidTargetId?: string): NamespaceOption {
  // NamespacesForPod: hostPID/hostIPC share the node's, shareProcessNamespace the pod's (pause) PID namespace.
  const ns: NamespaceOption = {
    network: pod.spec.hostNetwork === true ? 'NODE' : 'POD',
    pid: pod.spec.hostPID === true ? 'NODE' : pod.spec.shareProcessNamespace === true ? 'POD' : 'CONTAINER',
    ipc: pod.spec.hostIPC === true ? 'NODE' : 'POD',
  };
  if (pidTargetId && ns.pid === 'CONTAINER') {
    ns.pid = 'TARGET';
    ns.targetId = pidTargetId;
  }
  return ns;
}
