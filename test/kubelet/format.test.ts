import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatPod, goDuration, humanDuration, parseRfc3339, rfc3339 } from '../../src/k8s/format.js';
import { containerHash, fnv32a } from '../../src/k8s/hash.js';

describe('formatPod', () => {
  test('name_namespace(uid)', () => {
    assert.equal(formatPod({ metadata: { name: 'web', namespace: 'default', uid: 'u-1' } }), 'web_default(u-1)');
  });
});

describe('goDuration (Go time.Duration.String)', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [500, '500ms'],
    [1, '1ms'],
    [1.5, '1.5ms'],
    [0.001, '1µs'],
    [0.000001, '1ns'],
    [1500, '1.5s'],
    [1000, '1s'],
    [10_000, '10s'],
    [20_000, '20s'],
    [40_000, '40s'],
    [59_999, '59.999s'],
    [60_000, '1m0s'],
    [80_000, '1m20s'],
    [160_000, '2m40s'],
    [300_000, '5m0s'],
    [3_600_000, '1h0m0s'],
    [3_723_500, '1h2m3.5s'],
    [-1500, '-1.5s'],
    [90 * 3_600_000, '90h0m0s'],
  ];
  for (const [ms, want] of cases) test(`${ms}ms → ${want}`, () => assert.equal(goDuration(ms), want));
});

describe('rfc3339', () => {
  test('second precision UTC, truncated', () => {
    assert.equal(rfc3339(Date.UTC(2024, 4, 1, 12, 0, 0, 999)), '2024-05-01T12:00:00Z');
    assert.equal(rfc3339(0), '1970-01-01T00:00:00Z');
    // The one-second cache: back and forth between seconds.
    assert.deepEqual([rfc3339(1000), rfc3339(2500), rfc3339(1999), rfc3339(2000)], ['1970-01-01T00:00:01Z', '1970-01-01T00:00:02Z', '1970-01-01T00:00:01Z', '1970-01-01T00:00:02Z']);
    assert.equal(parseRfc3339('2024-05-01T12:00:00Z'), Date.UTC(2024, 4, 1, 12));
    assert.ok(Number.isNaN(parseRfc3339(undefined)));
  });
});

describe('humanDuration (kubectl Age)', () => {
  const cases: [number, string][] = [
    [-5000, '<invalid>'],
    [-1000, '0s'],
    [0, '0s'],
    [45_000, '45s'],
    [119_000, '119s'],
    [120_000, '2m'],
    [330_000, '5m30s'],
    [15 * 60_000, '15m'],
    [3 * 3_600_000 + 20 * 60_000, '3h20m'],
    [10 * 3_600_000, '10h'],
    [52 * 3_600_000, '2d4h'],
    [30 * 24 * 3_600_000, '30d'],
  ];
  for (const [ms, want] of cases) test(`${ms} → ${want}`, () => assert.equal(humanDuration(ms), want));
});

describe('containerHash', () => {
  test('FNV-32a test vectors', () => {
    assert.equal(fnv32a(new Uint8Array()), 0x811c9dc5);
    assert.equal(fnv32a(new TextEncoder().encode('a')), 0xe40c292c);
    assert.equal(fnv32a(new TextEncoder().encode('foobar')), 0xbf9cf968);
  });
  test('hashes Go-style JSON {"image","name"}', () => {
    const expected = fnv32a(new TextEncoder().encode('{"image":"busybox:1.36","name":"app"}')).toString(16);
    assert.equal(containerHash({ name: 'app', image: 'busybox:1.36' }), expected);
    assert.match(containerHash({ name: 'app', image: 'x' }), /^[0-9a-f]{1,8}$/);
  });
  test('changes exactly when name or image changes', () => {
    const base = { name: 'app', image: 'busybox:1.36' };
    const h = containerHash(base);
    assert.equal(containerHash({ ...base }), h);
    assert.equal(
      containerHash({ ...base, env: [{ name: 'A', value: '1' }], command: ['sh'] } as typeof base),
      h,
      'other fields are not hashed (1.31+)',
    );
    assert.notEqual(containerHash({ ...base, image: 'busybox:1.37' }), h);
    assert.notEqual(containerHash({ ...base, name: 'app2' }), h);
  });
  test('escapes HTML characters like encoding/json', () => {
    const expected = fnv32a(new TextEncoder().encode('{"image":"a\\u003cb\\u0026","name":"n"}')).toString(16);
    assert.equal(containerHash({ name: 'n', image: 'a<b&' }), expected);
  });
});
