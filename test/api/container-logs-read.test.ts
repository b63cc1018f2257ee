// ReadLogs over CRI log files (the kubelet's logs.go semantics): partial lines,
// tailLines, since, timestamps, limitBytes, stream selection, and follow across
// a rotation and to the container's end.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'node:fs/promises';
import { parseCriLog, readLogs, rfc3339NanoOut, tailStart, type LogOptions } from '../../src/api/logs.js';

const dir = mkdtempSync(join(tmpdir(), 'statelet-logs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string) => {
  const p = join(dir, `c${n++}.log`);
  writeFileSync(p, text);
  return p;
};
async function read(path: string, opts: LogOptions, deps = {}): Promise<string> {
  const out: Buffer[] = [];
  await readLogs(path, opts, (b) => void out.push(Buffer.from(b)), deps);
  return Buffer.concat(out).toString();
}

const T0 = '2024-05-01T12:00:00.100000000Z';
const T1 = '2024-05-01T12:00:01.123456789Z';
const T2 = '2024-05-01T12:00:02Z';
const LOG = `${T0} stdout F first\n${T1} stderr P part-a \n${T1} stderr F part-b\n${T2} stdout F last\n`;

describe('reading CRI logs as the kubelet does', () => {
  test('records parse; partial (P) pieces join without a newline', async () => {
    const r = parseCriLog(Buffer.from(`${T1} stderr P abc\n`))!;
    assert.deepEqual([r.stream, r.partial, r.log.toString()], ['stderr', true, 'abc']);
    assert.equal(parseCriLog(Buffer.from('garbage\n')), undefined);
    assert.equal(await read(file(LOG), {}), 'first\npart-a part-b\nlast\n');
  });
  test('timestamps: one RFC3339Nano stamp per line (trailing fraction zeros dropped), none on a continued piece', async () => {
    assert.equal(rfc3339NanoOut(T0), '2024-05-01T12:00:00.1Z');
    assert.equal(await read(file(LOG), { timestamps: true }), `2024-05-01T12:00:00.1Z first\n${T1} part-a part-b\n${T2} last\n`);
  });
  test('tailLines counts file lines from the end; 0 gives nothing', async () => {
    assert.equal(await read(file(LOG), { tailLines: 1 }), 'last\n');
    assert.equal(await read(file(LOG), { tailLines: 2 }), 'part-b\nlast\n');
    assert.equal(await read(file(LOG), { tailLines: 0 }), '');
    assert.equal(await read(file(LOG), { tailLines: 99 }), 'first\npart-a part-b\nlast\n');
  });
  test('sinceSeconds skips older lines; limitBytes cuts the output', async () => {
    const now = () => Date.parse(T2) + 500;
    assert.equal(await read(file(LOG), { sinceSeconds: 1 }, { now }), 'last\n');
    assert.equal(await read(file(LOG), { limitBytes: 8 }), 'first\npa');
    assert.equal(await read(file(LOG), { sinceTime: '2024-05-01T12:00:01Z' }), 'part-a part-b\nlast\n');
  });
  test('stream Stdout or Stderr only', async () => {
    assert.equal(await read(file(LOG), { stream: 'Stdout' }), 'first\nlast\n');
    assert.equal(await read(file(LOG), { stream: 'Stderr' }), 'part-a part-b\n');
  });
  test('an unterminated last line is still written without follow', async () => {
    assert.equal(await read(file(`${T0} stdout F done\n${T2} stdout F no-newline-yet`), {}), 'done\nno-newline-yet\n');
  });
  test('follow: new lines as they come, across a rotation (old file finished first), until the container stops', async () => {
    const path = file(`${T0} stdout F one\n`);
    let running = true;
    const got: string[] = [];
    const done = readLogs(path, { follow: true }, (b) => void got.push(b.toString()), { isRunning: async () => running, pollMs: 20, stateCheckMs: 50 });
    const until = async (text: string) => {
      for (let i = 0; i < 200 && !got.join('').includes(text); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(got.join('').includes(text), `waited for ${text}, got ${JSON.stringify(got.join(''))}`);
    };
    try {
      await until('one\n');
      // A partial record, then a full record the runtime writes in two pieces (read only once complete).
      appendFileSync(path, `${T1} stdout P tw\n${T1} stdout F `);
      await new Promise((r) => setTimeout(r, 60));
      appendFileSync(path, `o\n`);
      await until('two\n');
      // Rotation: the old file gets one last line after the rename, then the runtime reopens the path.
      renameSync(path, `${path}.20240501-120003`);
      appendFileSync(`${path}.20240501-120003`, `${T2} stdout F three\n`);
      writeFileSync(path, `${T2} stdout F four\n`);
      await until('four\n');
      // Written just before the container stops: read before the stream ends.
      appendFileSync(path, `${T2} stdout F five\n`);
    } finally {
      running = false;
    }
    await done;
    assert.equal(got.join(''), 'one\ntwo\nthree\nfour\nfive\n');
  });
  test('follow ends at once for a container that is not running', async () => {
    const t0 = Date.now();
    assert.equal(await read(file(LOG), { follow: true, tailLines: 1 }, { isRunning: async () => false }), 'last\n');
    assert.ok(Date.now() - t0 < 1000);
  });
  test('tailLines counts back from the size the read stops at, not from a later size (the file grows meanwhile)', async () => {
    const p = file(`${T0} stdout F a\n${T0} stdout F b\n${T0} stdout F c\n`);
    const fh = await open(p, 'r');
    try {
      const size = (await fh.stat()).size;
      appendFileSync(p, `${T2} stdout F d\n${T2} stdout F e\n`);
      const start = await tailStart(fh, 2, size);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      assert.equal(buf.toString(), `${T0} stdout F b\n${T0} stdout F c\n`);
      // Without a size it counts from the file as it is now.
      const now = await tailStart(fh, 2);
      const rest = Buffer.alloc((await fh.stat()).size - now);
      await fh.read(rest, 0, rest.length, now);
      assert.equal(rest.toString(), `${T2} stdout F d\n${T2} stdout F e\n`);
    } finally {
      await fh.close();
    }
  });
});
