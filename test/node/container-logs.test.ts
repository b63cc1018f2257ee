// Container log rotation (logs/container_log_manager.go): with a fake CRI for the exact
// file steps, and against the embedded runtime's ReopenContainerLog for real.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ContainerLogManager, rotationTimestamp, splitUnusedLogs } from '../../src/node/container-logs.js';
import { MANAGED_BY_LABEL, POD_UID_LABEL } from '../../src/kuberuntime/labels.js';

const root = mkdtempSync(join(tmpdir(), 'statelet-logrot-'));
after(() => rmSync(root, { recursive: true, force: true }));

function fakeClient(logPath: string, opts: { reopenFails?: boolean } = {}) {
  const calls: string[] = [];
  const client = {
    calls,
    listContainers: async () => ({ containers: [{ id: 'c1', state: 'CONTAINER_RUNNING', labels: { [MANAGED_BY_LABEL]: 'true', [POD_UID_LABEL]: 'u1' } }] }),
    containerStatus: async () => ({ status: { logPath } }),
    reopenContainerLog: async () => {
      calls.push('reopen');
      if (opts.reopenFails) throw new Error('container is not running');
      writeFileSync(logPath, '');
      return {};
    },
  };
  return client;
}

describe('container log rotation', () => {
  test('the timestamp suffix is Go\'s 20060102-150405 in local time', () => {
    assert.equal(rotationTimestamp(new Date(2026, 0, 2, 3, 4, 5)), '20260102-030405');
  });

  test('unused logs: temporaries, and uncompressed files whose .gz exists', () => {
    const { inuse, unused } = splitUnusedLogs(['l.1', 'l.1.gz', 'l.2', 'l.3.tmp', 'l.0.gz']);
    assert.deepEqual(inuse.sort(), ['l.0.gz', 'l.1.gz', 'l.2']);
    assert.deepEqual(unused.sort(), ['l.1', 'l.3.tmp']);
  });

  test('below the size nothing happens; at it the log is renamed, reopened, older ones compressed, at most maxFiles kept', async () => {
    const dir = join(root, 'a');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    const log = join(dir, '0.log');
    writeFileSync(log, 'x'.repeat(50));
    const client = fakeClient(log);
    let t = new Date(2026, 0, 1, 0, 0, 0).getTime();
    const m = new ContainerLogManager({ client: client as never, maxSize: 100, maxFiles: 3, now: () => new Date((t += 1000)) });
    await m.rotateLogs();
    assert.deepEqual(client.calls, [], 'below maxSize');
    for (let round = 0; round < 4; round++) {
      writeFileSync(log, `round ${round} `.padEnd(120, 'y'));
      await m.rotateLogs();
    }
    const files = readdirSync(dir).sort();
    // maxFiles 3: the live log, the newest rotated one (uncompressed) and one compressed.
    assert.equal(files.length, 3, files.join(' '));
    assert.ok(files.includes('0.log'));
    const plain = files.filter((f) => /^0\.log\.\d{8}-\d{6}$/.test(f));
    const gz = files.filter((f) => f.endsWith('.gz'));
    assert.equal(plain.length, 1);
    assert.equal(gz.length, 1);
    assert.match(readFileSync(join(dir, plain[0]!), 'utf8'), /^round 3 /);
    assert.match(gunzipSync(readFileSync(join(dir, gz[0]!))).toString(), /^round 2 /);
    assert.equal(client.calls.length, 4);
  });

  test('each container\'s log path is asked for once, and forgotten when the container is gone', async () => {
    const dir = join(root, 'c');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    for (const id of ['c1', 'c2', 'c3']) writeFileSync(join(dir, `${id}.log`), 'small');
    let listed = ['c1', 'c2'];
    const asked: string[] = [];
    const client = {
      listContainers: async () => ({ containers: listed.map((id) => ({ id, state: 'CONTAINER_RUNNING', labels: { [MANAGED_BY_LABEL]: 'true', [POD_UID_LABEL]: 'u' } })) }),
      containerStatus: async ({ containerId }: { containerId: string }) => {
        asked.push(containerId);
        return { status: { logPath: join(dir, `${containerId}.log`) } };
      },
      reopenContainerLog: async () => ({}),
    };
    const m = new ContainerLogManager({ client: client as never, maxSize: 100, maxFiles: 2 });
    await m.rotateLogs();
    await m.rotateLogs();
    assert.deepEqual(asked, ['c1', 'c2'], 'one ContainerStatus per container, not one per pass');
    listed = ['c2', 'c3'];
    await m.rotateLogs();
    listed = ['c1'];
    await m.rotateLogs();
    assert.deepEqual(asked, ['c1', 'c2', 'c3', 'c1'], 'a new container is asked; one that left is forgotten');
    // The cached path still drives rotation.
    writeFileSync(join(dir, 'c1.log'), 'x'.repeat(150));
    await m.rotateLogs();
    assert.ok(readdirSync(dir).some((f) => /^c1\.log\.\d{8}-\d{6}$/.test(f)), readdirSync(dir).join(' '));
  });

  test('a failed reopen puts the log back', async () => {
    const dir = join(root, 'b');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    const log = join(dir, '0.log');
    writeFileSync(log, 'z'.repeat(200));
    const m = new ContainerLogManager({ client: fakeClient(log, { reopenFails: true }) as never, maxSize: 100, maxFiles: 5 });
    await m.rotateLogs();
    assert.deepEqual(readdirSync(dir), ['0.log']);
    assert.equal(readFileSync(log, 'utf8').length, 200);
  });

  test('only containers of pods the owner accepts are rotated', async () => {
    const dir = join(root, 'c');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    const log = join(dir, '0.log');
    writeFileSync(log, 'z'.repeat(200));
    const client = fakeClient(log);
    const m = new ContainerLogManager({ client: client as never, maxSize: 100, maxFiles: 5, owns: () => false });
    await m.rotateLogs();
    assert.deepEqual(client.calls, []);
    assert.ok(existsSync(log));
  });
});
