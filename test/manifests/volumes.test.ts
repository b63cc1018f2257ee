// The host side of volumes (emptyDir, hostPath type checks, downward API files
// written atomically) and their removal with the pod.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyDefaults } from '../../src/k8s/manifest.js';
import type { Pod } from '../../src/k8s/types.js';
import type { NodeInfo } from '../../src/kuberuntime/node.js';
import { checkHostPathType, emptyDirMemorySize, setUpPodVolumes, tearDownPodVolumes, VolumeSetupError } from '../../src/volumes/index.js';
import { formatMap, goQuote } from '../../src/kuberuntime/env.js';

const NODE: NodeInfo = { nodeName: 'n', hostIPs: ['192.0.2.1'], memoryCapacityBytes: 2 ** 33, cpuMillis: 2000, ephemeralStorageBytes: 0, cgroupV2: false, swapControllerV1: false, hugePageSizes: [] };
const facts = { podIPs: ['10.0.0.9'], node: NODE };
const isRoot = process.getuid?.() === 0;

function pod(spec: Partial<Pod['spec']>, meta: Partial<Pod['metadata']> = {}): Pod {
  return applyDefaults({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'vols', uid: 'uid-v', ...meta }, spec: { containers: [{ name: 'app', image: 'b', resources: { limits: { memory: '256Mi' } } }], ...spec } });
}

describe('pod volumes on the host', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'statelet-vols-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('an emptyDir is a 0777 directory under the pod directory, and its files outlive a second set-up', async () => {
    const p = pod({ volumes: [{ name: 'cache', emptyDir: {} }] });
    const vols = await setUpPodVolumes(p, root, facts);
    const dir = vols.get('cache')!.hostPath;
    assert.equal(dir, join(root, 'pods', 'uid-v', 'volumes', 'kubernetes.io~empty-dir', 'cache'));
    assert.equal(statSync(dir).mode & 0o777, 0o777);
    writeFileSync(join(dir, 'progress'), '3');
    await setUpPodVolumes(p, root, facts); // the next container start
    assert.equal(readFileSync(join(dir, 'progress'), 'utf8'), '3');
    await tearDownPodVolumes(root, 'uid-v');
    assert.equal(existsSync(join(root, 'pods', 'uid-v')), false);
  });

  test('medium: Memory is a tmpfs of the sizeLimit (or the pod memory limit), unmounted at teardown', { skip: isRoot ? false : 'needs root to mount tmpfs' }, async () => {
    const p = pod({ volumes: [{ name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } }] }, { uid: 'uid-m' });
    assert.equal(emptyDirMemorySize(p, p.spec.volumes![0]!, NODE.memoryCapacityBytes), 16 * 2 ** 20);
    assert.equal(emptyDirMemorySize(p, { name: 'x', emptyDir: { medium: 'Memory' } }, NODE.memoryCapacityBytes), 256 * 2 ** 20);
    const dir = (await setUpPodVolumes(p, root, facts)).get('mem')!.hostPath;
    const mounts = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === dir);
    assert.equal(mounts().length, 1);
    assert.match(mounts()[0]!, / - tmpfs tmpfs .*size=16384k/);
    await setUpPodVolumes(p, root, facts);
    assert.equal(mounts().length, 1, 'not mounted twice');
    await tearDownPodVolumes(root, 'uid-m');
    assert.equal(mounts().length, 0);
    assert.equal(existsSync(dir), false);
  });

  test('hostPath type checks, in the kubelet\'s words', async () => {
    const d = join(root, 'hp');
    mkdirSync(d);
    writeFileSync(join(d, 'file'), 'x');
    await checkHostPathType(d, 'Directory');
    await assert.rejects(checkHostPathType(join(d, 'file'), 'Directory'), { message: `hostPath type check failed: ${join(d, 'file')} is not a directory` });
    await assert.rejects(checkHostPathType(d, 'File'), { message: `hostPath type check failed: ${d} is not a file` });
    await assert.rejects(checkHostPathType(d, 'Socket'), { message: `hostPath type check failed: ${d} is not a socket file` });
    await assert.rejects(checkHostPathType(d, 'BlockDevice'), { message: `hostPath type check failed: ${d} is not a block device` });
    await checkHostPathType('/dev/null', 'CharDevice');
    await checkHostPathType(join(d, 'new/dir'), 'DirectoryOrCreate');
    assert.ok(statSync(join(d, 'new/dir')).isDirectory());
    await checkHostPathType(join(d, 'created'), 'FileOrCreate');
    assert.equal(statSync(join(d, 'created')).mode & 0o777, 0o644 & ~process.umask());
    await checkHostPathType(join(d, 'missing'), ''); // no check
    const p = pod({ volumes: [{ name: 'h', hostPath: { path: join(d, 'file'), type: 'Directory' } }] });
    await assert.rejects(setUpPodVolumes(p, root, facts), (e: unknown) => {
      assert.ok(e instanceof VolumeSetupError);
      assert.equal(e.message, `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${join(d, 'file')} is not a directory`);
      return true;
    });
  });

  test('downwardAPI and projected files, written through ..data, updated atomically when labels change', async () => {
    const p = pod(
      {
        volumes: [
          {
            name: 'info',
            downwardAPI: {
              items: [
                { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
                { path: 'meta/name', fieldRef: { fieldPath: 'metadata.name' }, mode: 0o600 },
                { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
              ],
            },
          },
          { name: 'proj', projected: { sources: [{ downwardAPI: { items: [{ path: 'uid', fieldRef: { fieldPath: 'metadata.uid' } }, { path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] } },
        ],
      },
      { labels: { zone: 'us-east-1', app: 'web' }, annotations: { note: 'say "hi"\n' }, uid: 'uid-d' },
    );
    const vols = await setUpPodVolumes(p, root, facts);
    const dir = vols.get('info')!.hostPath;
    assert.equal(vols.get('info')!.readOnly, true);
    assert.equal(readFileSync(join(dir, 'labels'), 'utf8'), 'app="web"\nzone="us-east-1"');
    assert.equal(readFileSync(join(dir, 'annotations'), 'utf8'), 'note="say \\"hi\\"\\n"');
    assert.equal(readFileSync(join(dir, 'meta/name'), 'utf8'), 'vols');
    assert.equal(readFileSync(join(dir, 'mem'), 'utf8'), '256');
    assert.equal(statSync(join(dir, 'meta/name')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'labels')).mode & 0o777, 0o644);
    assert.ok(lstatSync(join(dir, 'labels')).isSymbolicLink());
    assert.equal(readlinkSync(join(dir, 'labels')), '..data/labels');
    const first = readlinkSync(join(dir, '..data'));
    await setUpPodVolumes(p, root, facts);
    assert.equal(readlinkSync(join(dir, '..data')), first, 'an unchanged payload is not rewritten');
    p.metadata.labels!['app'] = 'api';
    await setUpPodVolumes(p, root, facts);
    assert.notEqual(readlinkSync(join(dir, '..data')), first);
    assert.equal(readFileSync(join(dir, 'labels'), 'utf8'), 'app="api"\nzone="us-east-1"');
    assert.equal(existsSync(join(dir, first)), false, 'the old payload is gone');
    const proj = vols.get('proj')!.hostPath;
    assert.equal(readFileSync(join(proj, 'uid'), 'utf8'), 'uid-d');
    assert.equal(readFileSync(join(proj, 'ns'), 'utf8'), 'default');
    await tearDownPodVolumes(root, 'uid-d');
  });

  test('fsGroup: the group owns emptyDir and downward API files, directories are setgid', { skip: isRoot ? false : 'needs root to chown' }, async () => {
    const p = pod({ securityContext: { fsGroup: 2345 }, volumes: [{ name: 'c', emptyDir: {} }, { name: 'i', downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } }] }, { uid: 'uid-g' });
    const vols = await setUpPodVolumes(p, root, facts);
    const c = statSync(vols.get('c')!.hostPath);
    assert.equal(c.gid, 2345);
    assert.equal(c.mode & 0o2000, 0o2000);
    assert.equal(statSync(join(vols.get('i')!.hostPath, 'n')).gid, 2345);
    await tearDownPodVolumes(root, 'uid-g');
  });

  test('Go %q quoting of label values', () => {
    assert.equal(goQuote('a"b\\c\n\t\u0001é'), '"a\\"b\\\\c\\n\\t\\x01é"');
    assert.equal(formatMap({ b: '2', a: '1' }), 'a="1"\nb="2"');
  });
});

