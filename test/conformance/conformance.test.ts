// The black-box kubelet conformance suite: every scenario runs a real
// `statelet run` process against its own scripted fake CRI runtime, all of
// them concurrently (runner.ts caps how many run at once: CONFORMANCE_CONCURRENCY).
//
//   CONFORMANCE_SCENARIO=<substring|/regexp/>  run only the matching scenarios
//   STATELET_BIN=/path/to/bin/statelet.js      run them against another checkout
//   CONFORMANCE_REPORT_DIR=<dir>               write each scenario's report there
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { scenarios } from './scenarios/index.js';
import { runScenario, stateletBin } from './runner.js';

const filter = process.env['CONFORMANCE_SCENARIO'];
const selected = filter
  ? scenarios.filter((s) => {
      const m = /^\/(.*)\/([a-z]*)$/.exec(filter);
      return m ? new RegExp(m[1]!, m[2]).test(s.name) : s.name.includes(filter);
    })
  : scenarios;

describe(`kubelet conformance (${stateletBin()})`, { concurrency: true, timeout: 460_000 }, () => {
  if (selected.length === 0) test('no scenario matches CONFORMANCE_SCENARIO', () => assert.fail(`nothing matches ${filter}`));
  for (const s of selected) {
    test(s.name, { timeout: 450_000, ...(s.knownDifference ? { todo: `known difference: ${s.knownDifference}` } : {}) }, async () => {
      const r = await runScenario(s);
      if (!r.ok) assert.fail(`\n${r.report}`);
    });
  }
});
