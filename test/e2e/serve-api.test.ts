// End-to-end: `statelet serve` with its API, and the CLI tools against it
// (get, describe, logs, exec, events), on the embedded runtime and, when
// STATELET_CONTAINERD_ENDPOINT is set (scripts/run-tests.mjs), on containerd.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { bin, cleanupAll, manifest, Node, root, targets, isRunning } from '../node/serve-harness.js';

after(cleanupAll);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`statelet ${args.join(' ')} did not finish in ${timeoutMs} ms; stdout ${stdout} stderr ${stderr}`));
    }, timeoutMs);
    p.on('exit', (code, sig) => {
      clearTimeout(t);
      resolve({ code: code ?? (sig ? 128 : -1), stdout, stderr });
    });
  });
}

for (const t of targets()) {
  describe(`statelet serve API and CLI tools (${t.name})`, { concurrency: false }, () => {
    test('get pods (table, wide, json, yaml), describe, logs, exec, events, get -w; clear errors', async () => {
      const node = new Node(t, 'api');
      try {
        node.write('web.yaml', manifest('web', t.image, { cmd: "trap 'exit 0' TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done" }));
        node.write(
          'two.yaml',
          manifest('two', t.image, { extra: `  - name: side\n    image: ${t.image}\n    imagePullPolicy: IfNotPresent\n    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]\n` }),
        );
        const agent = node.serve(['--kill-pods-on-exit']);
        const url = await node.apiUrl();
        await agent.waitFor(() => [...agent.latest().values()].filter(isRunning).length === 2, 'both pods Running', 60_000);
        const s = ['--server', url];

        const table = await cli(['get', 'pods', ...s]);
        assert.equal(table.code, 0, table.stderr);
        const lines = table.stdout.trim().split('\n');
        assert.match(lines[0]!, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
        assert.ok(lines.some((l) => new RegExp(`^web-${node.name}\\s+1/1\\s+Running\\s+0\\s+\\d+s$`).test(l)), table.stdout);
        assert.ok(lines.some((l) => new RegExp(`^two-${node.name}\\s+2/2\\s+Running`).test(l)), table.stdout);
        const wide = await cli(['get', 'pods', 'web', '-o', 'wide', ...s]);
        assert.match(wide.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\n/);
        assert.ok(wide.stdout.includes(` ${node.name} `), wide.stdout);
        const json = JSON.parse((await cli(['get', 'pods', 'web', '-o', 'json', ...s])).stdout);
        assert.deepEqual([json.kind, json.metadata.name, json.status.phase], ['Pod', `web-${node.name}`, 'Running']);
        const list = JSON.parse((await cli(['get', 'pods', '-o', 'json', ...s])).stdout);
        assert.deepEqual([list.kind, list.items.length], ['List', 2]);
        assert.match((await cli(['get', 'po', 'web', '-o', 'yaml', ...s])).stdout, /^apiVersion: v1\nkind: Pod\nmetadata:\n/);

        const desc = await cli(['describe', 'pod', 'web', ...s]);
        assert.equal(desc.code, 0, desc.stderr);
        assert.match(desc.stdout, new RegExp(`^Name:\\s+web-${node.name}\\nNamespace:\\s+default\\n`));
        assert.match(desc.stdout, /\nContainers:\n {2}app:\n {4}Container ID:\s+\S+:\/\/[0-9a-f]+\n/);
        assert.match(desc.stdout, /\n {4}State:\s+Running\n {6}Started:/);
        assert.match(desc.stdout, /\nConditions:\n {2}Type\s+Status\n/);
        assert.match(desc.stdout, /\nEvents:\n {2}Type\s+Reason\s+Age\s+From\s+Message\n[\s\S]*Normal\s+Started\s+\S+\s+kubelet\s+Started container app\n/);

        const logs = await cli(['logs', 'web', '--tail', '2', ...s]);
        assert.equal(logs.code, 0, logs.stderr);
        assert.match(logs.stdout, /^tick \d+\ntick \d+\n$/);
        assert.match((await cli(['logs', 'web', '--tail', '1', '--timestamps', ...s])).stdout, /^\S+Z tick \d+\n$/);
        const several = await cli(['logs', 'two', ...s]);
        assert.equal(several.code, 1);
        assert.equal(several.stderr, `error: a container name must be specified for pod two-${node.name}, choose one of: [app side]\n`);
        assert.equal((await cli(['logs', 'two', '-c', 'side', ...s])).code, 0);

        const ex = await cli(['exec', 'web', ...s, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
        assert.deepEqual([ex.code, ex.stdout], [3, 'out\n'], ex.stderr);
        assert.equal(ex.stderr, 'err\ncommand terminated with exit code 3\n');
        assert.equal((await cli(['exec', 'web', ...s, '--', 'true'])).code, 0);

        const ev = await cli(['events', ...s]);
        assert.match(ev.stdout, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/);
        assert.match(ev.stdout, new RegExp(`Normal\\s+Started\\s+Pod/web-${node.name}\\s+Started container app`));
        const evFor = await cli(['events', '--for', 'pod/two', ...s]);
        assert.ok(!evFor.stdout.includes(`Pod/web-`), evFor.stdout);

        // get -w: the table, then a row when a pod changes (here: it is deleted by removing its file).
        const watch = spawn(process.execPath, [bin, 'get', 'pods', '-w', ...s], { cwd: root });
        let out = '';
        watch.stdout.on('data', (d: Buffer) => (out += d.toString()));
        const sawTable = async () => {
          for (let i = 0; i < 300 && !out.includes(`two-${node.name}`); i++) await new Promise((r) => setTimeout(r, 50));
        };
        await sawTable();
        node.remove('two.yaml');
        for (let i = 0; i < 400 && !/two-\S+\s+\d\/2\s+(Terminating|Completed)/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
        watch.kill('SIGINT');
        assert.match(out, /two-\S+\s+\d\/2\s+(Terminating|Completed)/, out);

        // Errors: no such pod; no agent at the address.
        const missing = await cli(['get', 'pods', 'nope', ...s]);
        assert.deepEqual([missing.code, missing.stderr], [1, 'Error from server (NotFound): pods "nope" not found\n']);
        assert.equal((await cli(['describe', 'pod', 'nope', ...s])).code, 1);
        const closed = await cli(['get', 'pods', '--server', 'http://127.0.0.1:9']);
        assert.equal(closed.code, 1);
        assert.match(closed.stderr, /^statelet: no statelet agent is listening at http:\/\/127\.0\.0\.1:9 /);

        agent.kill('SIGTERM');
        assert.equal(await agent.exited, 0, agent.stderr.slice(-2000));
      } finally {
        await node.cleanup();
      }
    });

    test('a non-loopback --address needs --api-allow-remote', async () => {
      const node = new Node(t, 'apibind');
      try {
        const agent = node.serve(['--address', '0.0.0.0']);
        assert.equal(await agent.exited, 2);
        assert.match(agent.stderr, /--address 0\.0\.0\.0: not a loopback address.*--api-allow-remote/);
      } finally {
        await node.cleanup();
      }
    });
  });
}
