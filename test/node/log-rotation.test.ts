// Log rotation end to end through the manager: the runtime reopens the log on
// ReopenContainerLog (the embedded runtime, and containerd when
// STATELET_CONTAINERD_ENDPOINT is set), the live log keeps the newest lines, older
// ones are rotated and compressed, and the pod's log directory goes with the pod.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runtimeTargets, type RuntimeEnv } from '../helpers/runtimes.js';
import { RuntimeManager } from '../../src/manager.js';
import { loadPod } from '../../src/k8s/manifest.js';
import { podLogDirectory } from '../../src/kuberuntime/config.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const target of runtimeTargets()) {
  describe(`container log rotation (${target.name})`, () => {
    let env: RuntimeEnv;
    let logs: string;
    before(async () => {
      env = await target.setup();
      logs = mkdtempSync(join(tmpdir(), 'statelet-rot-'));
    });
    after(async () => {
      await env.teardown();
      rmSync(logs, { recursive: true, force: true });
    });

    test('a log past containerLogMaxSize is rotated and reopened; at most containerLogMaxFiles are kept; removal takes the directory', async () => {
      const manager = new RuntimeManager({ client: env.client, podLogsDir: logs, containerLogMaxSize: 4096, containerLogMaxFiles: 3, containerLogMonitorMs: 300 });
      await manager.start();
      const pod = loadPod(`apiVersion: v1
kind: Pod
metadata: { name: rot-${randomBytes(3).toString('hex')} }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: chatty
    image: ${env.image}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "i=0; trap 'exit 0' TERM; while true; do echo line-$$i-0123456789012345678901234567890123456789; i=$$((i+1)); sleep 0.005; done"]
`);
      const uid = manager.addPod(pod);
      const dir = join(podLogDirectory(logs, pod), 'chatty');
      try {
        let files: string[] = [];
        for (let i = 0; i < 100; i++) {
          await sleep(100);
          files = existsSync(dir) ? readdirSync(dir) : [];
          if (files.some((f) => f.endsWith('.gz')) && files.some((f) => /^0\.log\.\d{8}-\d{6}$/.test(f))) break;
        }
        assert.ok(files.some((f) => /^0\.log\.\d{8}-\d{6}$/.test(f)), `a rotated log: ${files.join(' ')}`);
        assert.ok(files.some((f) => f.endsWith('.gz')), `an older one compressed: ${files.join(' ')}`);
        assert.ok(files.length <= 3, `at most 3 files: ${files.join(' ')}`);
        // The runtime writes to the new file: its lines are newer than the rotated one's. (Read
        // together, and again if a rotation happened in between.)
        const num = (text: string) => Number(/line-(\d+)-/.exec(text)?.[1] ?? -1);
        let ok = false;
        let seen = '';
        for (let i = 0; i < 30 && !ok; i++) {
          await sleep(100);
          try {
            const rotated = readdirSync(dir).filter((f) => /^0\.log\.\d{8}-\d{6}$/.test(f)).sort().pop();
            if (!rotated) continue;
            const old = readFileSync(join(dir, rotated), 'utf8').trim().split('\n');
            const live = readFileSync(join(dir, '0.log'), 'utf8').trim().split('\n');
            seen = `live ends ${live.at(-1)}, ${rotated} ends ${old.at(-1)}`;
            ok = num(live.at(-1)!) > num(old.at(-1)!);
          } catch {
            /* rotated meanwhile */
          }
        }
        assert.ok(ok, `the live log continues after the rotated one (${seen})`);
      } finally {
        await manager.deletePod(uid, { gracePeriodSeconds: 1 });
        for (let i = 0; i < 40 && existsSync(podLogDirectory(logs, pod)); i++) await sleep(50);
        assert.ok(!existsSync(podLogDirectory(logs, pod)), 'the pod log directory is removed with the pod');
        await manager.close();
      }
    });
  });
}
