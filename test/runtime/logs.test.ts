// The raw-output → CRI-log copier (src/runtime/logs.ts), driven directly:
// StreamTail reads a raw output file and appends CRI log records through a
// LogWriter. These tests pin down the races between change notifications
// (kick) and the final read at exit (finish), and the end-of-stream format.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogWriter, StreamTail, type StreamName } from '../../src/runtime/logs.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'statelet-logs-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function setup(raw: string | null, stream: StreamName = 'stdout') {
  const i = ++n;
  const rawPath = join(dir, `raw-${i}`);
  const logPath = join(dir, `log-${i}`);
  if (raw !== null) writeFileSync(rawPath, raw);
  const errors: unknown[] = [];
  const writer = new LogWriter(logPath, (e) => errors.push(e));
  const tail = new StreamTail(rawPath, stream, writer, 0, (e) => errors.push(e));
  /** `<stream> <tag> <msg>` per record (the timestamp dropped), after flushing the writer. */
  const records = async (): Promise<string[]> => {
    await writer.close();
    let text = '';
    try {
      text = readFileSync(logPath, 'utf8');
    } catch {
      return [];
    }
    assert.ok(text.endsWith('\n'), `log ends with a newline: ${JSON.stringify(text)}`);
    return text
      .slice(0, -1)
      .split('\n')
      .map((l) => l.split(' ').slice(1).join(' '));
  };
  return { rawPath, tail, writer, errors, records };
}

describe('StreamTail', () => {
  test('a kick() while finish() checks for the last output does not copy lines twice', async () => {
    const { tail, errors, records } = setup('one\ntwo\n');
    // finish() first awaits a stat of the raw file; a change notification that
    // lands in that window must not start a second read from the same offset.
    const done = tail.finish(true);
    tail.kick();
    await done;
    tail.kick(); // after finish: ignored
    assert.deepEqual(await records(), ['stdout F one', 'stdout F two']);
    assert.deepEqual(errors, []);
  });

  test('kicks during a read coalesce; finish() waits for them and reads what came after', async () => {
    const { rawPath, tail, errors, records } = setup('a\n');
    tail.kick();
    tail.kick();
    appendFileSync(rawPath, 'b\n');
    tail.kick();
    const done = tail.finish(true);
    tail.kick();
    appendFileSync(rawPath, 'c\n');
    tail.kick();
    await done;
    const got = await records();
    // 'c' may or may not make it (it was written while finish() ran), but nothing twice, in order.
    assert.ok(
      JSON.stringify(got) === JSON.stringify(['stdout F a', 'stdout F b']) || JSON.stringify(got) === JSON.stringify(['stdout F a', 'stdout F b', 'stdout F c']),
      JSON.stringify(got),
    );
    assert.deepEqual(errors, []);
  });

  test('many interleaved kicks and a concurrent second finish(): every line exactly once', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `line-${i}`);
    const { rawPath, tail, errors, records } = setup('');
    for (let i = 0; i < lines.length; i += 100) {
      appendFileSync(rawPath, lines.slice(i, i + 100).join('\n') + '\n');
      tail.kick();
      if (i % 300 === 0) await new Promise((r) => setImmediate(r));
    }
    const a = tail.finish(true);
    tail.kick();
    const b = tail.finish(true);
    tail.kick();
    await Promise.all([a, b]);
    assert.deepEqual(await records(), lines.map((l) => `stdout F ${l}`));
    assert.deepEqual(errors, []);
  });

  test('at end of stream a last line without newline is written with the P tag, as containerd does', async () => {
    const { tail, records } = setup('full\nno-newline', 'stderr');
    tail.kick();
    await tail.finish(true);
    assert.deepEqual(await records(), ['stderr F full', 'stderr P no-newline']);
  });

  test('finish(false) (runtime going away, process still running) keeps a partial line back for the next reader', async () => {
    const { tail, records } = setup('done\nhalf');
    await tail.finish(false);
    assert.equal(tail.offset - tail.pendingBytes, 'done\n'.length);
    assert.deepEqual(await records(), ['stdout F done']);
  });

  test('a raw file that was never created: finish() writes nothing and reports no error', async () => {
    const { tail, errors, records } = setup(null);
    tail.kick();
    await tail.finish(true);
    assert.deepEqual(await records(), []);
    assert.deepEqual(errors, []);
  });
});
