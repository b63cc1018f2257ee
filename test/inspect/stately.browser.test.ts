// The --stately bridge page in Chromium. stately.ai is out of reach here, so
// the page's iframe holds a local stand-in for Stately's inspector, made of
// the package's own browser side: @statelyai/inspect's createBrowserReceiver
// (it posts `@statelyai.connected` to its parent, then reads what is posted
// to it), bundled with esbuild. The bridge must hold the stream until then,
// and relay it after: the pod, its container, the crash loop.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Browser, Frame } from 'playwright-core';
import { stateValueToString } from '../../src/inspect/chart.js';
import { launch, root, skipBrowser as skip, startCli, until, watchErrors, type Cli } from './browser.js';
import { containerChart } from './chart-facts.js';

/** Serves the stand-in inspector page on 127.0.0.1. */
async function standIn(): Promise<{ url: string; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'statelet-standin-'));
  const { build } = await import('esbuild');
  await build({
    stdin: {
      contents: `import { createBrowserReceiver } from '@statelyai/inspect';
        window.received = [];
        // What Stately's inspector does when it loads: announce itself to the page that embeds it.
        window.announce = () => createBrowserReceiver().subscribe((ev) => window.received.push(ev));`,
      resolveDir: root,
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    outfile: join(dir, 'standin.js'),
    logLevel: 'silent',
  });
  await writeFile(join(dir, 'standin.html'), '<!doctype html><meta charset="utf-8"><title>stand-in for Stately\'s inspector</title><script src="standin.js"></script><p>stand-in</p>');
  const files: Record<string, [string, string]> = {
    '/standin.html': ['text/html; charset=utf-8', join(dir, 'standin.html')],
    '/standin.js': ['text/javascript; charset=utf-8', join(dir, 'standin.js')],
  };
  const server: Server = createServer((req, res) => {
    const f = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!f) return void res.writeHead(404).end();
    readFile(f[1]).then((body) => res.writeHead(200, { 'Content-Type': f[0] }).end(body), () => res.writeHead(500).end());
  });
  await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1' }, () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/standin.html`,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface Received {
  type: string;
  sessionId: string;
  name?: string;
  parentId?: string;
  _version?: string;
  snapshot?: { value?: unknown };
}

describe('the --stately bridge in a real browser', () => {
  test('relays the pod and its containers to the inspector iframe once it posts @statelyai.connected', { skip, timeout: 90_000 }, async () => {
    const inspector = await standIn();
    let cli: Cli | undefined;
    let browser: Browser | undefined;
    try {
      cli = startCli([
        'run', 'examples/crashloop.yaml', '--stately', '0', '--no-open', '--stately-inspector-url', inspector.url,
        '--backoff-initial', '1', '--backoff-max', '2',
      ]);
      const url = await cli.waitStderr(/statelet: stately inspector: (http:\/\/127\.0\.0\.1:\d+\/) \(WebSocket ws:\/\/127\.0\.0\.1:\d+\/; embeds /, 'the bridge URL');
      browser = await launch();
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      const errors = watchErrors(page);
      await page.goto(url);
      await page.waitForSelector('body[data-socket="open"]', { timeout: 10_000 });
      const frame = await new Promise<Frame>((resolve, reject) => {
        const find = (): Frame | undefined => page.frames().find((f) => f.url() === inspector.url);
        const f = find();
        if (f) return resolve(f);
        const t = setTimeout(() => reject(new Error('no stand-in frame')), 10_000);
        page.on('framenavigated', () => {
          const g = find();
          if (g) {
            clearTimeout(t);
            resolve(g);
          }
        });
      });
      await frame.waitForFunction(() => typeof (window as unknown as { announce?: unknown }).announce === 'function');

      // Until the inspector announces itself, the bridge holds everything.
      await until(page, 'messages held for the inspector', () => Number(document.body.dataset.buffered) >= 4 && document.body.dataset.state === 'waiting');
      assert.equal(await frame.evaluate(() => (window as unknown as { received: unknown[] }).received.length), 0);
      assert.equal(await page.evaluate(() => document.body.dataset.relayed), '0');

      await frame.evaluate(() => (window as unknown as { announce(): void }).announce());
      await until(page, 'the bridge relaying', () => document.body.dataset.state === 'relaying' && document.body.dataset.buffered === '0');
      const received = (): Promise<Received[]> => frame.evaluate(() => (window as unknown as { received: Received[] }).received);
      await frame.waitForFunction(() => (window as unknown as { received: Received[] }).received.some((m) => m.type === '@xstate.actor' && m.name === 'container:crasher'), undefined, { timeout: 10_000 });
      let msgs = await received();
      const pod = msgs.find((m) => m.type === '@xstate.actor' && m.name === 'default/crashloop');
      const container = msgs.find((m) => m.type === '@xstate.actor' && m.name === 'container:crasher');
      assert.ok(pod && container, 'the held actors came through');
      assert.equal(container.parentId, pod.sessionId);
      assert.ok(msgs.every((m) => typeof m._version === 'string' && m.type.startsWith('@xstate.')), 'only what createBrowserReceiver accepts as Stately events');

      // And the live stream follows: the crash loop, seen from inside the iframe.
      const chart = containerChart();
      const clbo = chart.path(chart.crashLoop.id);
      const running = chart.path(chart.running.id);
      const seq = async (): Promise<string[]> => {
        const out: string[] = [];
        for (const m of await received()) {
          if (m.type !== '@xstate.snapshot' || m.sessionId !== container.sessionId) continue;
          const v = stateValueToString(m.snapshot?.value);
          if (out[out.length - 1] !== v) out.push(v);
        }
        return out;
      };
      for (let i = 0; ; i++) {
        const s = await seq();
        const b = s.indexOf(clbo);
        if (b >= 0 && s.indexOf(running, b) > b) break;
        assert.ok(i < 150, `no back-off and restart through the iframe: ${s.join(' → ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      msgs = await received();
      assert.ok(Number(await page.evaluate(() => document.body.dataset.relayed)) >= msgs.length);
      await mkdir(join(root, 'test-output'), { recursive: true });
      await page.screenshot({ path: join(root, 'test-output', 'stately-bridge.png') });
      assert.deepEqual(errors, []);
      await browser.close();
      browser = undefined;
      assert.deepEqual(await cli.stop(), { code: 0, signal: null }, cli.stderr());
    } finally {
      await browser?.close().catch(() => {});
      await cli?.stop();
      await inspector.close();
    }
  });
});
