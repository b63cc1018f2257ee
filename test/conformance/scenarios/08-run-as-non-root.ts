// Issue 8, point 8: runAsNonRoot is checked before CreateContainer.
//
// Pins (kubernetes/kubernetes, release-1.34 era):
// - pkg/kubelet/kuberuntime/security_context_others.go verifyRunAsNonRoot
//   (strings verbatim, %q of format.Pod):
//     runAsUser 0         => `container's runAsUser breaks non-root policy (pod: %q, container: %s)`
//     uid == nil, username => `container has runAsNonRoot and image has non-numeric user (%s), cannot verify user is non-root (pod: %q, container: %s)`
//     uid 0               => `container has runAsNonRoot and image will run as root (pod: %q, container: %s)`
// - pkg/kubelet/kuberuntime/kuberuntime_container.go generateContainerConfig:
//   getImageUser (ImageStatus uid, else username, else uid 0) then
//   verifyRunAsNonRoot, before any CreateContainer; startContainer records
//   Warning Failed `Error: <s.Message()>` and returns ErrCreateContainerConfig
//   (waiting CreateContainerConfigError with the message). Nothing changes in
//   the runtime, so no PLEG event: the retry is the pod worker's 10–15 s requeue.
import { makePod, type Scenario } from '../runner.js';
import { call, cstatus, event, exitCode, never, seq, somePod, stateOf } from '../dsl.js';
import { ctr, fp, IMAGE } from './common.js';
import type { ImageScript } from '../fake-cri.js';

function nonRootScenario(tag: string, title: string, securityContext: Record<string, unknown>, image: ImageScript, msgOf: (ref: string) => string): Scenario {
  const p = makePod(`nonroot-${tag}`, { containers: [ctr('app', { securityContext })] });
  const msg = msgOf(p.ref);
  return {
    name: `08${tag} runAsNonRoot: ${title}`,
    pins: 'pkg/kubelet/kuberuntime/security_context_others.go verifyRunAsNonRoot; kuberuntime_container.go generateContainerConfig + startContainer',
    summary: `Failed \`Error: ${msg}\`, CreateContainerConfigError, no CreateContainer, retried 10–16.5 s later`,
    pod: p.pod,
    fake: { images: [image] },
    // Two rounds (the second 16.5 s after the first at the latest), then delete; timed from
    // the first ImageStatus so a slow start does not eat into the window.
    actions: [{ label: 'stop', when: call('ImageStatus'), delayMs: 18_000, do: { signal: 'SIGTERM' } }],
    deadlineMs: 60_000,
    expect: [
      seq(
        event({ type: 'Warning', reason: 'Failed', fieldPath: fp('app'), message: `Error: ${msg}` }).as('f1'),
        event({ type: 'Warning', reason: 'Failed', fieldPath: fp('app'), message: `Error: ${msg}` }).within(9950, 16_500, 'f1'),
      ),
      never(call('CreateContainer')),
      somePod(
        'app waiting CreateContainerConfigError with the message',
        (l) => stateOf(l, 'app') === 'waiting:CreateContainerConfigError' && cstatus(l, 'app')?.['state']?.['waiting']?.['message'] === msg,
      ),
      exitCode(0),
    ],
  };
}

export const nonRootImageRoot = nonRootScenario('a', 'image uid 0, no runAsUser', { runAsNonRoot: true }, { ref: IMAGE, uid: 0 }, (ref) =>
  `container has runAsNonRoot and image will run as root (pod: "${ref}", container: app)`,
);

export const nonRootImageUsername = nonRootScenario('b', 'image with a user name', { runAsNonRoot: true }, { ref: IMAGE, username: 'appuser' }, (ref) =>
  `container has runAsNonRoot and image has non-numeric user (appuser), cannot verify user is non-root (pod: "${ref}", container: app)`,
);

export const nonRootRunAsUser0 = nonRootScenario('c', 'runAsUser 0', { runAsNonRoot: true, runAsUser: 0 }, { ref: IMAGE, uid: 1000 }, (ref) =>
  `container's runAsUser breaks non-root policy (pod: "${ref}", container: app)`,
);

export default [nonRootImageRoot, nonRootImageUsername, nonRootRunAsUser0];
