// `statelet visualize <run.ndjson>` in Chromium, on a crash-loop run recorded
// here with `statelet run examples/crashloop.yaml --output json`: scrubbing
// to a point shows the state the stream says was active then, on the chart
// with the transition taken, with the events and the pod status of that
// moment.

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ReplayData } from '../../src/inspect/protocol.js';
import { ensureVisualizerBuilt, launch, root, skipBrowser as skip, startCli, until, watchErrors, type Cli } from './browser.js';
import { containerChart } from './chart-facts.js';

interface Line {
  kind: string;
  [k: string]: any;
}

/** Records examples/crashloop.yaml until its container has backed off twice. */
async function recordCrashLoop(): Promise<string> {
  const chart = containerChart();
  const clbo = chart.path(chart.crashLoop.id);
  const cli = startCli(['run', 'examples/crashloop.yaml', '--output', 'json', '--backoff-initial', '1', '--backoff-max', '2'], { keepStdout: true });
  try {
    for (let i = 0; ; i++) {
      const backOffs = cli.stdout().split('\n').filter((l) => l.includes('"kind":"Transition"') && l.includes(`"to":"${clbo}"`)).length;
      if (backOffs >= 2) break;
      assert.ok(i < 300, `no second back-off after 30s:\n${cli.stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(await cli.stop(), { code: 0, signal: null }, cli.stderr());
    return cli.stdout();
  } finally {
    await cli.stop();
  }
}

/** What the recording says: each line's time (a line without one takes the time of the line before it, as documented). */
function timed(text: string): Array<{ at: number; line: Line }> {
  const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  const own = (l: Line): number | undefined =>
    l.kind === 'Transition' ? Date.parse(l.timestamp) : l.kind === 'Event' ? Date.parse(l.lastTimestamp) : undefined;
  let t = lines.map(own).find((x) => x !== undefined)!;
  return lines.map((line) => {
    const o = own(line);
    if (o !== undefined && o > t) t = o;
    return { at: t, line };
  });
}

async function scrubTo(page: Page, offsetMs: number): Promise<void> {
  await page.evaluate((v) => {
    const s = document.querySelector<HTMLInputElement>('[data-testid="replay-scrubber"]')!;
    s.value = String(v);
    s.dispatchEvent(new Event('input', { bubbles: true }));
  }, offsetMs);
  await until(page, `the scrubber at +${offsetMs}ms`, (v) => document.querySelector('[data-testid="replay-time"]')?.getAttribute('data-offset-ms') === String(v), offsetMs);
  // The panes follow on the next frame.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

describe('statelet visualize: replay of a recorded run', () => {
  test('scrubbing a recorded crash loop shows, at each point, the state the stream says was active then', { skip, timeout: 120_000 }, async () => {
    await ensureVisualizerBuilt();
    const text = await recordCrashLoop();
    const outDir = join(root, 'test-output');
    await mkdir(outDir, { recursive: true });
    const file = join(outDir, 'crashloop-run.ndjson');
    await writeFile(file, text);
    const rec = timed(text);
    const start = rec[0]!.at;
    const containerLines = rec.filter((r) => r.line.kind === 'Transition' && r.line.actor === 'default/crashloop/crasher');
    assert.ok(containerLines.length >= 10, `a crash loop has many transitions: ${containerLines.length}`);
    const chart = containerChart();

    let cli: Cli | undefined;
    let browser: Browser | undefined;
    try {
      cli = startCli(['visualize', file, '--no-open']);
      const url = await cli.waitStderr(/statelet: visualizer: (http:\/\/127\.0\.0\.1:\d+\/) \(replay of crashloop-run\.ndjson: \d+ transitions/, 'the visualizer URL');
      // The page's data: every recorded transition of the container got its chart path.
      const data = (await (await fetch(`${url}replay.json`)).json()) as ReplayData;
      const crasher = 'replay:default/crashloop/crasher';
      const paths = data.entries.filter((e) => e.msg.type === '@statelet.transition' && e.msg.sessionId === crasher).map((e) => e.msg as { transitions: Array<{ source: string; targets: string[] }>; value: unknown });
      assert.equal(paths.length, containerLines.length - 1, 'all but the first (the initial state) have a path');
      const ids = new Set([chart.json.id, ...chart.states.map((st) => st.id)]);
      for (const p of paths) assert.ok(p.transitions.length >= 1 && p.transitions.every((t) => ids.has(t.source)), `a path of chart states: ${JSON.stringify(p.transitions)}`);

      browser = await launch();
      const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
      const errors = watchErrors(page);
      await page.goto(url);
      await page.waitForSelector('[data-testid="replay-bar"]:not([hidden])', { timeout: 10_000 });
      assert.equal(await page.getAttribute('[data-testid="connection-status"]', 'data-state'), 'replay');
      const crasherNode = page.locator('[data-testid="actor-node"][data-label="crasher"]');
      await crasherNode.click();
      await page.waitForSelector(`[data-testid="selected-actor"][data-session-id="${crasher}"]`);
      await page.waitForSelector('[data-testid="statechart"][data-machine-id="container"] svg', { timeout: 15_000 });

      // Points to check: at each recorded container transition, and halfway to the next one.
      const points: number[] = [];
      for (let i = 0; i < containerLines.length; i++) {
        const at = containerLines[i]!.at;
        points.push(at);
        const next = containerLines[i + 1]?.at;
        if (next !== undefined && next - at > 4) points.push(Math.floor((at + next) / 2));
      }
      const checked: string[] = [];
      for (const at of points) {
        // What the stream says: the last container transition at or before `at` …
        const last = [...containerLines].reverse().find((r) => r.at <= at)!;
        const expected = String(last.line.to);
        // … the pod's last status and the events written by then.
        const pods = rec.filter((r) => r.line.kind === 'Pod' && r.at <= at);
        const phase = pods.at(-1)?.line.status?.phase;
        const events = new Set(rec.filter((r) => r.line.kind === 'Event' && r.at <= at).map((r) => [r.line.involvedObject?.fieldPath, r.line.type, r.line.reason, r.line.message, r.line.firstTimestamp].join('|')));

        await scrubTo(page, at - start);
        const id = `${chart.json.id}.${expected}`;
        // Everything read at once: the page does not move between the reads.
        const seen = await page.evaluate((stateId) => {
          const attr = (sel: string, a: string): string | null => document.querySelector(sel)?.getAttribute(a) ?? null;
          return {
            state: attr('[data-testid="selected-actor"]', 'data-state-value'),
            active: attr(`[data-testid="state-node"][data-state-id="${stateId}"]`, 'data-active'),
            lastTransition: attr('[data-testid="statechart"]', 'data-last-transition') ?? '',
            markedEdges: document.querySelectorAll('[data-testid="transition-edge"].last').length,
            phase: attr('[data-testid="pod-status"]', 'data-phase'),
            events: Number(attr('[data-testid="events-table"]', 'data-count')),
          };
        }, id);
        assert.equal(seen.state, expected, `at +${at - start}ms the stream says ${expected}`);
        assert.equal(seen.active, 'true', `${id} active on the chart`);
        // The transition taken into it: marked on the chart, ending in that state (or the compound it entered).
        if (last !== containerLines[0]) {
          const target = seen.lastTransition.split(' ').at(-1)?.split('>')[1] ?? '';
          assert.ok(target !== '' && (id === target || id.startsWith(`${target}.`)), `the last transition (${seen.lastTransition}) leads to ${id}`);
          assert.ok(seen.markedEdges >= 1, 'its edge is marked');
        }
        if (phase) assert.equal(seen.phase, phase, `pod phase at +${at - start}ms`);
        assert.equal(seen.events, events.size, `events at +${at - start}ms`);
        checked.push(`+${at - start}ms ${expected}`);
      }
      assert.ok(checked.length >= containerLines.length);

      // The scrubber's other ways: the next / previous transition of the selected actor, and play.
      await scrubTo(page, containerLines[3]!.at - start);
      await page.click('[data-testid="replay-next"]');
      const nextAt = containerLines.find((r) => r.at > containerLines[3]!.at)!.at;
      await until(page, 'the next transition', (v) => document.querySelector('[data-testid="replay-time"]')?.getAttribute('data-time') === String(v), nextAt);
      await page.click('[data-testid="replay-prev"]');
      await until(page, 'back to the previous one', (v) => document.querySelector('[data-testid="replay-time"]')?.getAttribute('data-time') === String(v), containerLines[3]!.at);
      // A row of the transition log is a point in time too.
      const row = page.locator(`[data-testid="transition-row"][data-session-id="${crasher}"]`).last();
      const rowTime = Number(await row.getAttribute('data-time'));
      await row.click();
      await until(page, 'the clicked row\'s time', (v) => document.querySelector('[data-testid="replay-time"]')?.getAttribute('data-time') === String(v), rowTime);
      await page.selectOption('[data-testid="replay-speed"]', '4');
      await scrubTo(page, 0);
      await page.click('[data-testid="replay-play"]');
      await until(page, 'playing', () => Number(document.querySelector('[data-testid="replay-time"]')?.getAttribute('data-offset-ms')) > 200);
      await page.click('[data-testid="replay-play"]');
      assert.equal(await page.getAttribute('[data-testid="replay-play"]', 'data-playing'), 'false');
      const paused = await page.getAttribute('[data-testid="replay-time"]', 'data-offset-ms');
      await page.waitForTimeout(200);
      assert.equal(await page.getAttribute('[data-testid="replay-time"]', 'data-offset-ms'), paused, 'paused');

      // The back-off at its moment: the timeline's countdown runs on the recording's clock.
      const firstBackOff = containerLines.find((r) => r.line.to === chart.path(chart.crashLoop.id))!;
      await scrubTo(page, firstBackOff.at - start + 300);
      const countdown = page.locator('[data-testid="timeline-row"][data-label="crasher"] [data-testid="backoff-countdown"]');
      const backOffMs = Number(await countdown.getAttribute('data-backoff-ms'));
      assert.ok([1000, 2000].includes(backOffMs), `back-off ${backOffMs}`);
      const remaining = Number(await countdown.getAttribute('data-remaining-ms'));
      assert.ok(Math.abs(remaining - (backOffMs - 300)) <= 50, `restart in ${remaining}ms of ${backOffMs}ms, 300ms in`);
      await page.screenshot({ path: join(outDir, 'replay.png') });
      assert.deepEqual(errors, []);
    } finally {
      await browser?.close().catch(() => {});
      await cli?.stop();
    }
  });
});
