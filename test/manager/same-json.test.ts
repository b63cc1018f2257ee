// The manager compares each derived PodStatus with the last one published without
// serializing them: sameJson must agree with JSON.stringify equality, including its
// treatment of undefined members (absent) and undefined array items (null).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sameJson } from '../../src/manager.js';

const cases: Array<[unknown, unknown]> = [
  [{ a: 1 }, { a: 1 }],
  [{ a: 1 }, { a: 2 }],
  [{ a: 1, b: undefined }, { a: 1 }],
  [{ a: 1 }, { a: 1, b: 0 }],
  [{ a: 1, b: 2 }, { b: 2, a: 1 }],
  [[1, undefined], [1, null]],
  [[1, 2], [1, 2, 3]],
  [[], {}],
  [{ x: [] }, { x: {} }],
  [null, null],
  [null, {}],
  ['1', 1],
  [{ s: { running: { startedAt: 't' } } }, { s: { running: { startedAt: 't' } } }],
  [{ s: { running: { startedAt: 't' } } }, { s: { running: { startedAt: undefined } } }],
  [{ s: { running: {} } }, { s: { running: { startedAt: undefined } } }],
  [{ c: [{ type: 'Ready', status: 'True' }] }, { c: [{ type: 'Ready', status: 'False' }] }],
  [{ n: 0 }, { n: -0 }],
  [{ b: true }, { b: 1 }],
];

describe('sameJson', () => {
  for (const [a, b] of cases) {
    test(`${JSON.stringify(a)} vs ${JSON.stringify(b)}`, () => {
      assert.equal(sameJson(a, b), JSON.stringify(a) === JSON.stringify(b));
      assert.equal(sameJson(b, a), JSON.stringify(b) === JSON.stringify(a));
    });
  }
});
