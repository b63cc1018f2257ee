// An ephemeral container with targetContainerName, end to end through the createContainer
// actor on real runtimes: the actor resolves the target's current ID from CRI and sends
// pid TARGET + target_id (kubelet 1.34 generateLinuxContainerConfig); the runtime checks
// the target as containerd's validateTargetContainer does. On containerd the debug
// container really shares the target's PID namespace (its PID 1 is the target's process).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createActor, toPromise } from 'xstate';
import { createRuntimeActors } from '../../src/actors/index.js';
import type { ContainerConfig } from '../../src/cri/types.js';
import type { Pod } from '../../src/k8s/types.js';
import { errorInfo, type CreateContainerInput, type SandboxInfo } from '../../machines/types.js';
import { runtimeTargets, type RuntimeEnv, type RunningSandbox } from '../helpers/runtimes.js';

function podFor(sb: RunningSandbox, image: string): Pod {
  const md = sb.config.metadata;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: md.name, namespace: md.namespace, uid: md.uid },
    spec: {
      containers: [{ name: 'app', image, command: ['sleep', '3600'] }],
      ephemeralContainers: [
        { name: 'debug', image, command: ['sh', '-c', "echo pid1=$(tr '\\0' ' ' < /proc/1/cmdline); sleep 5"], targetContainerName: 'app' },
      ],
    },
  };
}

for (const target of runtimeTargets()) {
  describe(`ephemeral container targeting another on ${target.name}`, () => {
    let rt: RuntimeEnv;
    before(async () => {
      rt = await target.setup();
    });
    after(() => rt.teardown());

    const input = (pod: Pod, which: 'app' | 'debug', sb: RunningSandbox): CreateContainerInput => {
      const sandbox: SandboxInfo = { id: sb.id, config: sb.config, ip: '', attempt: 0 };
      return which === 'app'
        ? { pod, container: pod.spec.containers[0]!, fieldPath: 'spec.containers{app}', sandbox, restartCount: 0 }
        : { pod, container: pod.spec.ephemeralContainers![0]!, fieldPath: 'spec.ephemeralContainers{debug}', sandbox, restartCount: 0 };
    };

    test('the actor sends pid TARGET with the running target; the runtime accepts it', async () => {
      const sb = await rt.runSandbox('eph');
      for (const c of ['app', 'debug']) mkdirSync(join(sb.config.logDirectory!, c), { recursive: true });
      const pod = podFor(sb, rt.image);
      const actors = createRuntimeActors({ client: rt.client, podLogsDir: rt.tmpDir });
      const { containerId: appId } = await toPromise(createActor(actors.createContainer, { input: input(pod, 'app', sb) }).start());
      await rt.client.startContainer({ containerId: appId });
      const { containerId: debugId } = await toPromise(createActor(actors.createContainer, { input: input(pod, 'debug', sb) }).start());
      assert.notEqual(debugId, appId);
      await rt.client.startContainer({ containerId: debugId });
      if (rt.name === 'containerd') {
        // Inside the target's PID namespace, PID 1 is the target's `sleep 3600`.
        await rt.waitForLog(sb, { logPath: 'debug/0.log' } as ContainerConfig, 'pid1=sleep 3600');
      }
    });

    test('a target that is not running, or does not exist: CreateContainer fails with invalid target container', async () => {
      const sb = await rt.runSandbox('eph-stopped');
      const appId = await rt.runContainer(sb, rt.containerConfig('app', ['sleep', '3600']));
      await rt.client.stopContainer({ containerId: appId, timeout: 0 });
      await rt.waitForState(appId, 'CONTAINER_EXITED');
      const cfg = (name: string, targetId: string) =>
        rt.containerConfig(name, ['sh'], { linux: { securityContext: { namespaceOptions: { pid: 'TARGET', targetId } } } });
      const stopped = await rt.createContainer(sb, cfg('debug', appId)).then(() => assert.fail('should be refused'), (e: unknown) => e);
      assert.match(errorInfo(stopped).details ?? '', new RegExp(`invalid target container: container "${appId}" is not running - in state CONTAINER_EXITED$`));
      const missing = await rt.createContainer(sb, cfg('debug2', 'f'.repeat(64))).then(() => assert.fail('should be refused'), (e: unknown) => e);
      // containerd 1.6's text, which the embedded runtime copies.
      assert.match(errorInfo(missing).details ?? '', new RegExp(`^failed to generate container "[0-9a-f]{64}" spec: invalid target container: container "${'f'.repeat(64)}" does not exist: not found$`));
      assert.equal(errorInfo(missing).code, 'NotFound');
    });
  });
}
