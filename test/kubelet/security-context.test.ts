// verifyRunAsNonRoot / getImageUser (kubelet 1.34, kuberuntime security_context_others.go,
// helpers.go) and the PID namespace of an ephemeral container with a target
// (kuberuntime_container_linux.go generateLinuxContainerConfig).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod } from '../../src/k8s/types.js';
import { generateContainerConfig } from '../../src/kuberuntime/config.js';
import {
  containerNamespaceOptions,
  effectiveSecurityContext,
  imageUserFromStatus,
  verifyRunAsNonRoot,
} from '../../src/kuberuntime/security-context.js';
import * as M from '../../src/k8s/messages.js';

const P = 'web_default(1234)';

function pod(spec: Partial<Pod['spec']> = {}, container: Partial<Container> = {}): { pod: Pod; c: Container } {
  const c: Container = { name: 'app', image: 'busybox:1.36', ...container };
  return { pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', uid: '1234' }, spec: { containers: [c], ...spec } }, c };
}

describe('verifyRunAsNonRoot', () => {
  test('the three messages, in the kubelet order', () => {
    const root = pod({}, { securityContext: { runAsNonRoot: true, runAsUser: 0 } });
    // An explicit runAsUser 0 fails before the image is looked at (even a non-root image).
    assert.equal(verifyRunAsNonRoot(root.pod, root.c, { uid: 1000 }), `container's runAsUser breaks non-root policy (pod: "${P}", container: app)`);
    const nr = pod({}, { securityContext: { runAsNonRoot: true } });
    assert.equal(verifyRunAsNonRoot(nr.pod, nr.c, { uid: 0 }), `container has runAsNonRoot and image will run as root (pod: "${P}", container: app)`);
    assert.equal(
      verifyRunAsNonRoot(nr.pod, nr.c, { username: 'nobody' }),
      `container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root (pod: "${P}", container: app)`,
    );
    // Any name, root included: the kubelet does not resolve names.
    assert.equal(
      verifyRunAsNonRoot(nr.pod, nr.c, { username: 'root' }),
      `container has runAsNonRoot and image has non-numeric user (root), cannot verify user is non-root (pod: "${P}", container: app)`,
    );
    // The builders are the single source of those strings.
    assert.equal(M.runAsUserBreaksNonRootMessage(P, 'app'), verifyRunAsNonRoot(root.pod, root.c, { uid: 5 }));
    assert.equal(M.imageWillRunAsRootMessage(P, 'app'), verifyRunAsNonRoot(nr.pod, nr.c, { uid: 0 }));
    assert.equal(M.imageNonNumericUserMessage('nobody', P, 'app'), verifyRunAsNonRoot(nr.pod, nr.c, { username: 'nobody' }));
  });

  test('an image with no user at all is root (getImageUser returns uid 0)', () => {
    const nr = pod({}, { securityContext: { runAsNonRoot: true } });
    for (const res of [null, { image: null }, { image: { uid: null, username: '' } }]) {
      const user = imageUserFromStatus(res as Parameters<typeof imageUserFromStatus>[0]);
      assert.deepEqual(user, { uid: 0 });
      assert.equal(verifyRunAsNonRoot(nr.pod, nr.c, user), `container has runAsNonRoot and image will run as root (pod: "${P}", container: app)`);
    }
    assert.deepEqual(imageUserFromStatus({ image: { uid: { value: '1000' }, username: 'ignored' } } as never), { uid: 1000 });
    assert.deepEqual(imageUserFromStatus({ image: { uid: null, username: 'www-data' } } as never), { username: 'www-data' });
  });

  test('passes: non-zero runAsUser (image not consulted), non-zero image uid, runAsNonRoot unset or false', () => {
    const explicit = pod({}, { securityContext: { runAsNonRoot: true, runAsUser: 1000 } });
    assert.equal(verifyRunAsNonRoot(explicit.pod, explicit.c, { uid: 0 }), undefined);
    assert.equal(verifyRunAsNonRoot(explicit.pod, explicit.c, { username: 'root' }), undefined);
    const nr = pod({}, { securityContext: { runAsNonRoot: true } });
    assert.equal(verifyRunAsNonRoot(nr.pod, nr.c, { uid: 65534 }), undefined);
    const unset = pod();
    assert.equal(verifyRunAsNonRoot(unset.pod, unset.c, { uid: 0 }), undefined);
    assert.equal(verifyRunAsNonRoot(unset.pod, unset.c, { username: 'x' }), undefined);
    const off = pod({}, { securityContext: { runAsNonRoot: false, runAsUser: 0 } });
    assert.equal(verifyRunAsNonRoot(off.pod, off.c, { uid: 0 }), undefined);
  });

  test('pod-level securityContext applies where the container leaves a field unset; the container wins field by field', () => {
    const inherit = pod({ securityContext: { runAsNonRoot: true } });
    assert.equal(verifyRunAsNonRoot(inherit.pod, inherit.c, { uid: 0 }), `container has runAsNonRoot and image will run as root (pod: "${P}", container: app)`);
    const podUser0 = pod({ securityContext: { runAsNonRoot: true, runAsUser: 0 } });
    assert.equal(verifyRunAsNonRoot(podUser0.pod, podUser0.c, { uid: 1000 }), `container's runAsUser breaks non-root policy (pod: "${P}", container: app)`);
    // Pod says runAsUser 0, the container overrides it with 1000: passes.
    const override = pod({ securityContext: { runAsNonRoot: true, runAsUser: 0 } }, { securityContext: { runAsUser: 1000 } });
    assert.equal(verifyRunAsNonRoot(override.pod, override.c, { uid: 0 }), undefined);
    // Pod requires non-root, the container opts out.
    const optOut = pod({ securityContext: { runAsNonRoot: true } }, { securityContext: { runAsNonRoot: false } });
    assert.equal(verifyRunAsNonRoot(optOut.pod, optOut.c, { uid: 0 }), undefined);
    // Container requires it, pod supplies the user.
    const podUid = pod({ securityContext: { runAsUser: 2000 } }, { securityContext: { runAsNonRoot: true } });
    assert.deepEqual(effectiveSecurityContext(podUid.pod, podUid.c), { runAsUser: 2000, runAsNonRoot: true });
    assert.equal(verifyRunAsNonRoot(podUid.pod, podUid.c, { uid: 0 }), undefined);
  });

  test('an image uid outside 0..MaxInt32: the invalid user id message', () => {
    const nr = pod({}, { securityContext: { runAsNonRoot: true } });
    assert.equal(
      verifyRunAsNonRoot(nr.pod, nr.c, { uid: -1 }),
      `container has runAsNonRoot and image has an invalid user id (-1). (Must be 1-(2147483647)): must be between 0 and 2147483647, inclusive (pod: "${P}", container: app)`,
    );
    assert.equal(verifyRunAsNonRoot(nr.pod, nr.c, { uid: 2147483647 }), undefined);
    assert.match(verifyRunAsNonRoot(nr.pod, nr.c, { uid: 2147483648 }) ?? '', /invalid user id \(2147483648\)/);
  });
});

describe('PID namespace of an ephemeral container with a target', () => {
  test('CONTAINER becomes TARGET with the target ID; no target keeps CONTAINER', () => {
    const { pod: p } = pod();
    assert.deepEqual(containerNamespaceOptions(p), { network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
    assert.deepEqual(containerNamespaceOptions(p, 'c0ffee'), { network: 'POD', pid: 'TARGET', ipc: 'POD', targetId: 'c0ffee' });
    const host = pod({ hostNetwork: true }).pod;
    assert.deepEqual(containerNamespaceOptions(host, 'c0ffee'), { network: 'NODE', pid: 'TARGET', ipc: 'POD', targetId: 'c0ffee' });
  });

  test('generateContainerConfig carries it into linux.security_context.namespace_options', () => {
    const { pod: p } = pod();
    const debug = { name: 'debug', image: 'busybox:1.36', command: ['sh'], targetContainerName: 'app' };
    const withTarget = generateContainerConfig(p, debug, 0, debug.image, { pidTargetId: 'abc123' });
    assert.deepEqual(withTarget.linux?.securityContext?.namespaceOptions, { network: 'POD', pid: 'TARGET', ipc: 'POD', targetId: 'abc123' });
    const plain = generateContainerConfig(p, debug, 0, debug.image);
    assert.deepEqual(plain.linux?.securityContext?.namespaceOptions, { network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
  });
});
