// The visualizer with a node's worth of pods: one RuntimeManager (the library,
// as `statelet serve` will run it) with 110 pods of 3 containers on the
// embedded runtime, inspected through the same startInspection() that `run`
// and `serve` call, opened in Chromium. The actor list groups, filters and
// shows phases and restarts; selecting actors reuses each machine's layout;
// the selected pod's timelines show every container with exits, back-offs
// and probe failures.
//
// It measures the time from selecting an actor to its chart on screen and
// writes it to test-output/node-scale.json (reported, not asserted: timings
// belong to bench/, see docs/CONTRIBUTING.md).

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { CriClient } from '../../src/cri/client.js';
import { applyDefaults } from '../../src/k8s/manifest.js';
import type { Container, Pod } from '../../src/k8s/types.js';
import { RuntimeManager } from '../../src/manager.js';
import { startEmbeddedRuntime } from '../../src/runtime/index.js';
import { startInspection } from '../../src/inspect/session.js';
import { launch, root, skipBrowser as skip, until, watchErrors } from './browser.js';

const NAMESPACES = ['shop', 'batch'];
const PODS = 110;
const IMAGE = 'busybox:1.36';

/** 110 pods of 3 containers; a few crash-loop with a failing readiness probe, one waits on an image it may not pull. */
function pods(): Pod[] {
  const out: Pod[] = [];
  for (let i = 0; i < PODS; i++) {
    const namespace = NAMESPACES[i % NAMESPACES.length]!;
    const n = Math.floor(i / NAMESPACES.length);
    const crashing = namespace === 'batch' && n < 3;
    const stuck = namespace === 'batch' && n === 3;
    const c = (name: string, extra: Partial<Container> = {}): Container => ({ name, image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], ...extra });
    out.push(
      applyDefaults({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `web-${n}`, namespace, uid: `scale-${namespace}-${n}` },
        spec: {
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 1,
          containers: [
            crashing ? c('app', { command: ['sh', '-c', 'sleep 1; exit 1'] }) : stuck ? c('app', { image: 'not-pulled.example/app:1', imagePullPolicy: 'Never' }) : c('app'),
            crashing ? c('sidecar', { readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1 } }) : c('sidecar'),
            c('metrics'),
          ],
        },
      }),
    );
  }
  return out;
}

/** Clicks an actor's row and resolves the ms until its chart is on screen (the frame after it is drawn). */
async function selectAndTime(page: Page, sessionId: string): Promise<number> {
  return page.evaluate(
    (id) =>
      new Promise<number>((resolve, reject) => {
        const row = document.querySelector<HTMLElement>(`[data-testid="actor-node"][data-session-id="${id}"]`);
        if (!row) return reject(new Error(`no row for ${id}`));
        const t0 = performance.now();
        row.click();
        const check = (): void => {
          const host = document.querySelector('[data-testid="statechart"]');
          if (host?.getAttribute('data-session-id') === id && host.querySelector('svg')) requestAnimationFrame(() => resolve(performance.now() - t0));
          else if (performance.now() - t0 > 10_000) reject(new Error(`chart of ${id} not shown`));
          else requestAnimationFrame(check);
        };
        check();
      }),
    sessionId,
  );
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

describe('visualizer at node scale', () => {
  test('110 pods × 3 containers: grouped, filtered, phases and restarts; cached charts; every container\'s timeline', { skip, timeout: 180_000 }, async (t) => {
    const runtime = await startEmbeddedRuntime({ killOnClose: true });
    const client = new CriClient({ endpoint: runtime.endpoint });
    const session = await startInspection({ inspect: 0 }, { log: () => {} });
    const manager = new RuntimeManager({
      client,
      podLogsDir: join(runtime.stateDir, 'pods'),
      inspect: session.inspect,
      backOff: { initialMs: 1000, maxMs: 2000 },
    });
    session.attach(manager);
    let browser: Browser | undefined;
    try {
      await manager.start();
      const all = pods();
      // Up: each pod's `metrics` container runs (the stuck pod stays Pending: its app waits).
      const running = new Set<string>();
      const allUp = new Promise<void>((resolve) => {
        manager.status$.subscribe(({ pod, status }) => {
          if (status.containerStatuses?.find((c) => c.name === 'metrics')?.state.running) running.add(pod.metadata.uid!);
          if (running.size === all.length) resolve();
        });
      });
      const t0 = Date.now();
      for (const p of all) manager.addPod(p);
      await Promise.race([allUp, new Promise((_, rej) => setTimeout(() => rej(new Error(`only ${running.size}/${all.length} pods Running after 90s`)), 90_000).unref())]);
      const startMs = Date.now() - t0;

      browser = await launch();
      const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
      const errors = watchErrors(page);
      const tOpen = Date.now();
      await page.goto(session.visualizer!.url);
      await page.waitForSelector('[data-testid="actor-tree"][data-pods="110"]', { timeout: 30_000 });
      const firstListMs = Date.now() - tOpen;

      // ---- the list: namespaces → pods → containers, calls hidden at this size ----
      const tree = page.locator('[data-testid="actor-tree"]');
      const groups = page.locator('[data-testid="namespace-group"]');
      assert.deepEqual(await groups.evaluateAll((els) => els.map((e) => [e.getAttribute('data-namespace'), e.getAttribute('data-total')])), [['batch', '55'], ['shop', '55']]);
      await until(page, '330 container rows', () => document.querySelectorAll('[data-testid="actor-node"][data-machine-id="container"]').length === 330, undefined, 20_000);
      assert.equal(await page.locator('#show-calls').isChecked(), false, 'calls hidden with 110 pods');
      assert.equal(await tree.locator('[data-kind="call"]').count(), 0);
      const podRow = (ns: string, name: string) => page.locator(`[data-testid="actor-node"][data-pod="true"][data-namespace="${ns}"][data-pod-name="${name}"]`);
      const web5 = podRow('shop', 'web-5');
      assert.equal(await page.locator('.tree-item', { has: web5 }).first().locator('[data-machine-id="container"]').count(), 3, 'containers under their pod');
      // Phases from the pods' v1 status: each pod's row says what the manager says.
      for (let i = 0; ; i++) {
        const shown = await tree.locator('[data-pod="true"]').evaluateAll((els) => Object.fromEntries(els.map((e) => [`${e.getAttribute('data-namespace')}/${e.getAttribute('data-pod-name')}`, e.getAttribute('data-phase')])));
        const differ = all.filter((p) => shown[`${p.metadata.namespace}/${p.metadata.name}`] !== manager.getStatus(p.metadata.uid!)?.phase);
        if (differ.length === 0) break;
        assert.ok(i < 100, `phases differ from the manager's: ${differ.map((p) => p.metadata.name).join(', ')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(await podRow('shop', 'web-0').getAttribute('data-phase'), 'Running');
      await until(page, 'restarts of the crash-looping pods', () =>
        ['web-0', 'web-1', 'web-2'].every((n) => Number(document.querySelector(`[data-pod="true"][data-namespace="batch"][data-pod-name="${n}"]`)?.getAttribute('data-restarts') ?? 0) >= 1), undefined, 30_000);
      assert.equal(await podRow('shop', 'web-0').getAttribute('data-restarts'), '0');
      assert.equal(await podRow('shop', 'web-0').getAttribute('data-ready'), '3/3');

      // ---- filters: name, namespace, state (each timed in the page, from the input to the list on screen) ----
      const filterTimes: Record<string, { ms: number; scriptMs: number }> = {};
      const filter = async (what: string, set: Record<string, string>, shown: number): Promise<void> => {
        const [ms, scriptMs] = await page.evaluate(
          ([values, n]) =>
            new Promise<[number, number]>((resolve, reject) => {
              const t0 = performance.now();
              for (const [testid, value] of Object.entries(values)) {
                const el = document.querySelector<HTMLInputElement | HTMLSelectElement>(`[data-testid="${testid}"]`)!;
                el.value = value;
                el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }));
              }
              const list = document.querySelector('[data-testid="actor-tree"]')!;
              const check = (): void => {
                if (list.getAttribute('data-shown-pods') === String(n)) requestAnimationFrame(() => resolve([performance.now() - t0, Number(list.getAttribute('data-render-ms'))]));
                else if (performance.now() - t0 > 10_000) reject(new Error(`${list.getAttribute('data-shown-pods')} pods shown, not ${n}`));
                else requestAnimationFrame(check);
              };
              check();
            }),
          [set, shown] as const,
        );
        filterTimes[what] = { ms: Math.round(ms), scriptMs };
      };
      await filter('name web-7', { 'filter-name': 'web-7' }, 2);
      assert.deepEqual(await tree.locator('[data-pod="true"]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-namespace')}/${e.getAttribute('data-pod-name')}`)), ['batch/web-7', 'shop/web-7']);
      await filter('name metrics', { 'filter-name': 'metrics' }, 110);
      assert.equal(await tree.locator('[data-machine-id="container"]').count(), 110, 'only the matching container under each pod');
      await filter('namespace batch', { 'filter-name': '', 'filter-namespace': 'batch' }, 55);
      assert.deepEqual(await groups.evaluateAll((els) => els.map((e) => e.getAttribute('data-namespace'))), ['batch']);
      // A state that lasts: the container whose image may not be pulled.
      await filter('state ErrImageNeverPull', { 'filter-state': 'ErrImageNeverPull' }, 1);
      assert.equal(await tree.locator('[data-pod="true"]').getAttribute('data-pod-name'), 'web-3');
      await filter('cleared', { 'filter-state': '', 'filter-namespace': '' }, 110);
      // Typed as a user would, too.
      await page.fill('[data-testid="filter-name"]', 'web-1');
      await until(page, 'typed filter', () => document.querySelector('[data-testid="actor-tree"]')?.getAttribute('data-shown-pods') === '22');
      await filter('cleared again', { 'filter-name': '' }, 110);

      // ---- select → chart: each machine is laid out once ----
      const chart = page.locator('[data-testid="statechart"]');
      const sessionIds = async (sel: string): Promise<string[]> => tree.locator(sel).evaluateAll((els) => els.map((e) => e.getAttribute('data-session-id')!));
      const containers = await sessionIds('[data-machine-id="container"]');
      const podIds = await sessionIds('[data-pod="true"]');
      const first = await selectAndTime(page, containers[200]!);
      const firstPod = await selectAndTime(page, podIds[30]!);
      // The layouts are done (ahead of time, or by those first selections): from here on none is made.
      const layouts = Number(await chart.getAttribute('data-layouts'));
      assert.ok(layouts >= 2 && layouts <= 4, `one or two layouts (auto direction) per machine: ${layouts}`);
      const switches: number[] = [];
      for (let i = 0; i < 12; i++) {
        switches.push(await selectAndTime(page, containers[(i * 37) % containers.length]!));
        switches.push(await selectAndTime(page, podIds[(i * 13) % podIds.length]!));
      }
      assert.equal(Number(await chart.getAttribute('data-layouts')), layouts, 'switching actors lays out nothing again');
      assert.ok(Number(await chart.getAttribute('data-select-ms')) >= 0, 'the page reports its own select → chart time');

      // ---- the timelines of a crash-looping pod: all its containers ----
      const crashPod = podRow('batch', 'web-1');
      const appRow = page.locator('.tree-item', { has: crashPod }).first().locator('[data-machine-id="container"][data-label="app"]');
      await appRow.click();
      const rows = page.locator('[data-testid="timeline-row"]');
      await until(page, 'three timeline rows', () => document.querySelectorAll('[data-testid="timeline-row"]').length === 3);
      assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-label'))), ['app', 'sidecar', 'metrics']);
      await until(page, 'exits, back-off and restarts of app; probe failures of sidecar', () => {
        const row = (l: string) => document.querySelector(`[data-testid="timeline-row"][data-label="${l}"]`);
        const app = row('app');
        const sidecar = row('sidecar');
        return (
          !!app?.querySelector('[data-testid="timeline-marker"][data-kind="exit"]') &&
          !!app.querySelector('[data-testid="timeline-segment"][data-category="backoff"]') &&
          Number(app.getAttribute('data-restarts')) >= 1 &&
          !!sidecar?.querySelector('[data-testid="timeline-marker"][data-kind="probe"]')
        );
      }, undefined, 30_000);
      assert.match((await rows.nth(1).locator('[data-testid="timeline-marker"][data-kind="probe"]').first().getAttribute('data-label')) ?? '', /^Readiness probe failed/);
      assert.equal(await rows.nth(2).locator('[data-testid="timeline-marker"][data-kind="exit"]').count(), 0, 'metrics never exited');

      const report = {
        pods: PODS,
        containers: PODS * 3,
        startAllMs: startMs,
        firstListMs,
        selectToChartMs: { firstContainer: Math.round(first), firstPod: Math.round(firstPod), switchMedian: Math.round(median(switches)), switchMax: Math.round(Math.max(...switches)), switches: switches.length },
        filterMs: filterTimes,
        layouts,
        hub: session.hub!.stats(),
      };
      await mkdir(join(root, 'test-output'), { recursive: true });
      await writeFile(join(root, 'test-output', 'node-scale.json'), JSON.stringify(report, null, 2) + '\n');
      await page.screenshot({ path: join(root, 'test-output', 'node-scale.png') });
      t.diagnostic(`select → chart: first container ${report.selectToChartMs.firstContainer} ms, first pod ${report.selectToChartMs.firstPod} ms, then median ${report.selectToChartMs.switchMedian} ms, max ${report.selectToChartMs.switchMax} ms over ${switches.length} switches`);
      t.diagnostic(`filters (input → list on screen, of which script): ${Object.entries(filterTimes).map(([k, v]) => `${k} ${v.ms} ms (${v.scriptMs} ms)`).join(', ')}`);
      assert.deepEqual(errors, []);
    } finally {
      await browser?.close().catch(() => {});
      await session.close();
      await manager.close();
      client.close();
      await runtime.close();
    }
  });
});
