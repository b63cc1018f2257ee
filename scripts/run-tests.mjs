#!/usr/bin/env node
// Runs the compiled test suite (dist/test/**/*.test.js) with node's test runner.
// Usage: node scripts/run-tests.mjs [path-filter ...]
// Each argument keeps only the test files whose path contains it.
//
// containerd: when a selected test file targets real runtimes (it imports
// test/helpers/runtimes.js or reads STATELET_CONTAINERD_ENDPOINT), this script
// brings up a throw-away containerd with scripts/containerd-up.sh, exports
// STATELET_CONTAINERD_ENDPOINT to the test processes and tears it down at the
// end (also on failure, SIGINT and SIGTERM). Concurrent runs share that
// instance: the last one to finish stops it (see "Several runs share" below).
// One already running that no run-tests started is reused and left up.
//   STATELET_CONTAINERD_DIR=/abs/dir  lab directory (default /tmp/statelet-containerd);
//     a second lab beside another also needs its own STATELET_CONTAINERD_BRIDGE
//     and STATELET_CONTAINERD_POD_CIDR (see containerd-up.sh)
//   STATELET_CONTAINERD_ENDPOINT=unix:///...  use that runtime; start/stop nothing
//   STATELET_CONTAINERD=0   skip containerd deliberately
//   STATELET_CONTAINERD=1   install missing packages with apt (as CI=true does)
// Without either, containerd runs only on Linux, as root, with its binaries
// already installed. A skip prints `containerd suite: SKIPPED (<reason>)`, and
// under CI=true a skip fails the run. Everything this script prints itself
// comes BEFORE node's test output, so the runner's closing summary lines stay
// the last lines on stdout (CI parses them).
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = join(root, 'dist', 'test');
const env = process.env;
const isCI = env.CI === 'true';
const labDir = (env.STATELET_CONTAINERD_DIR || '/tmp/statelet-containerd').replace(/\/+$/, '');

function collect(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

function onPath(bin) {
  for (const dir of (env.PATH || '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return true;
    } catch {
      /* not here */
    }
  }
  return false;
}

/** Runs a command; resolves with its exit code and captured stdout. */
function run(cmd, args, { stdout = 'pipe', stderr = 'inherit', extraEnv = {} } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', stdout, stderr], env: { ...env, ...extraEnv } });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.on('error', (err) => resolve({ code: 127, out, err }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), out }));
  });
}

/** Is this lab's containerd already running (started by someone else)? */
function labContainerdAlive() {
  try {
    const pid = readFileSync(join(labDir, 'containerd.pid'), 'utf8').trim();
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    return cmdline.includes(`containerd --config ${labDir}/config.toml`);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- test files
const filters = process.argv.slice(2);
let files = collect(testDir).sort();
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
console.error(`run-tests: ${files.length} file(s): ${files.map((f) => relative(testDir, f)).join(' ')}`);

const wantsContainerd = files.some((f) => {
  const src = readFileSync(f, 'utf8');
  return src.includes('helpers/runtimes.js') || src.includes('STATELET_CONTAINERD_ENDPOINT');
});

// ---------------------------------------------------------------- containerd
let skipReason = null; // set => "containerd suite: SKIPPED (<reason>)"
let registered = false; // we are a user of the lab's containerd (see below)
let halfStarted = false; // containerd-up.sh failed on a lab nobody used: clean it
const childEnv = { ...env };

// Several runs share one lab (people on one machine, a CI job beside a
// developer's run). A run registers itself in <lab>.users/<pid>; the instance
// is stopped by the LAST run-tests user to leave, and only when a run-tests
// started it (marker <lab>.users/owned). One that was started by hand is
// reused and left up, as before. Registration and teardown decisions are
// made under a lock (<lab>.lock, an atomic mkdir holding the holder's pid),
// so a run never tears containerd down under another one, and a run that
// died without cleaning up (SIGKILL) is pruned by the next one.
const usersDir = `${labDir}.users`;
const lockDir = `${labDir}.lock`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function isRunTests(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('run-tests');
  } catch {
    return false;
  }
}

async function withLabLock(fn) {
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let holder = NaN;
      try {
        holder = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
      } catch {
        /* being created or removed */
      }
      // A dead holder's lock (or one whose pid never got written) is broken.
      const stale = holder > 0 ? !isRunTests(holder) : Date.now() - (statSafe(lockDir)?.mtimeMs ?? Date.now()) > 10_000;
      if (stale) rmSync(lockDir, { recursive: true, force: true });
      else {
        if (waited === 3000) console.error(`run-tests: waiting for ${lockDir} (held by run-tests pid ${holder})`);
        await sleep(100);
      }
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function statSafe(p) {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

function labPid() {
  try {
    return readFileSync(join(labDir, 'containerd.pid'), 'utf8').trim();
  } catch {
    return '';
  }
}

/** The containerd pid a run-tests started (the owned marker), or ''. */
function ownedBy() {
  try {
    return readFileSync(join(usersDir, 'owned'), 'utf8').trim();
  } catch {
    return '';
  }
}

/** Other live run-tests processes registered on the lab (dead entries are removed). */
function otherUsers() {
  const out = [];
  let names = [];
  try {
    names = readdirSync(usersDir);
  } catch {
    return out;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n) || Number(n) === process.pid) continue;
    if (isRunTests(Number(n))) out.push(Number(n));
    else rmSync(join(usersDir, n), { force: true });
  }
  return out;
}

async function bringUpContainerd() {
  if (env.STATELET_CONTAINERD_ENDPOINT) {
    console.log(`containerd suite: using STATELET_CONTAINERD_ENDPOINT=${env.STATELET_CONTAINERD_ENDPOINT} (not started or stopped here)`);
    return;
  }
  if (env.STATELET_CONTAINERD === '0') return void (skipReason = 'STATELET_CONTAINERD=0');
  if (process.platform !== 'linux') return void (skipReason = `containerd needs Linux, this is ${process.platform}`);
  if (process.getuid?.() !== 0) return void (skipReason = `containerd needs root, uid is ${process.getuid?.()}`);
  const aptAllowed = isCI || env.STATELET_CONTAINERD === '1';
  const missing = ['containerd', 'ctr', 'runc', 'busybox'].filter((b) => !onPath(b));
  if (!existsSync('/usr/lib/cni/bridge')) missing.push('/usr/lib/cni/bridge');
  if (missing.length && !aptAllowed) {
    return void (skipReason = `not installed: ${missing.join(', ')}; set STATELET_CONTAINERD=1 to install with apt`);
  }
  if (missing.length && !onPath('apt-get')) return void (skipReason = `not installed (${missing.join(', ')}) and apt-get is unavailable`);

  await withLabLock(async () => {
    const reuse = labContainerdAlive();
    const reusedPid = reuse ? labPid() : '';
    const owned = reuse && ownedBy() === reusedPid;
    const others = reuse ? otherUsers() : [];
    console.error(`run-tests: ${reuse ? 'reusing' : 'starting'} containerd in ${labDir} (scripts/containerd-up.sh)`);
    const up = await run('bash', [join(root, 'scripts', 'containerd-up.sh')], {
      extraEnv: { STATELET_CONTAINERD_DIR: labDir, STATELET_CONTAINERD_NO_APT: aptAllowed ? '0' : '1' },
    });
    const endpoint = up.out.trim().split('\n').pop()?.trim() ?? '';
    if (up.code !== 0 || !endpoint.startsWith('unix://')) {
      // A half-started instance nobody else uses is ours to clean up.
      if (!reuse || (owned && others.length === 0)) halfStarted = true;
      return void (skipReason = `scripts/containerd-up.sh failed with exit code ${up.code}`);
    }
    // containerd-up.sh rebuilds an unhealthy instance: a new pid is a new instance, started here.
    const pid = labPid();
    const fresh = !owned && (!reuse || pid !== reusedPid);
    mkdirSync(usersDir, { recursive: true });
    if (fresh || owned) writeFileSync(join(usersDir, 'owned'), `${pid}\n`);
    writeFileSync(join(usersDir, String(process.pid)), '');
    registered = true;
    childEnv.STATELET_CONTAINERD_ENDPOINT = endpoint;
    const how = fresh
      ? 'started here'
      : owned
        ? `shared with run-tests${others.length ? ` pid ${others.join(', ')}` : ''}; the last run to finish stops it`
        : 'already running, not started by run-tests: left up afterwards';
    console.log(`containerd suite: ON (${endpoint}, ${how})`);
  });
}

let tornDown = false;
async function tearDownContainerd() {
  if (tornDown || (!registered && !halfStarted)) return;
  tornDown = true;
  await withLabLock(async () => {
    if (registered) rmSync(join(usersDir, String(process.pid)), { force: true });
    if (!halfStarted) {
      if (!labContainerdAlive()) return; // gone already
      if (ownedBy() !== labPid()) return; // not started by run-tests: leave it
      const others = otherUsers();
      if (others.length) {
        console.error(`run-tests: containerd left up for run-tests pid ${others.join(', ')}`);
        return;
      }
    }
    // Its log goes to a file: nothing may follow the test runner's summary on stdout.
    const logFile = join(tmpdir(), 'statelet-containerd-down.log');
    const fd = openSync(logFile, 'w');
    const res = await run('bash', [join(root, 'scripts', 'containerd-down.sh')], {
      stdout: fd,
      stderr: fd,
      extraEnv: { STATELET_CONTAINERD_DIR: labDir },
    });
    closeSync(fd);
    rmSync(usersDir, { recursive: true, force: true });
    if (res.code !== 0) console.error(`run-tests: containerd-down.sh failed (exit ${res.code}), see ${logFile}`);
  });
}

// ---------------------------------------------------------------- signals
let child = null;
let gotSignal = null;
let bringingUp = false;
const SIGNUM = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
for (const sig of Object.keys(SIGNUM)) {
  process.on(sig, () => {
    if (gotSignal) return;
    gotSignal = sig;
    if (child) {
      // A terminal's Ctrl-C reaches the test runner too (same process group);
      // signal it ourselves only if it is still running a moment later.
      if (sig === 'SIGINT') setTimeout(() => child?.kill('SIGTERM'), 3000).unref();
      else child.kill(sig);
    } else if (!bringingUp) {
      void tearDownContainerd().then(() => process.exit(128 + SIGNUM[sig]));
    }
    // (During bring-up the main flow sees gotSignal once containerd-up.sh
    // returns, and tears down what it started: exiting now would leak it.)
  });
}

// ---------------------------------------------------------------- run
if (wantsContainerd) {
  bringingUp = true;
  await bringUpContainerd();
  bringingUp = false;
  if (skipReason) {
    console.log(`containerd suite: SKIPPED (${skipReason})${isCI ? ' -- a skip fails the run under CI=true' : ''}`);
  }
} else {
  console.error('run-tests: no selected file targets containerd; not starting it');
}
if (gotSignal) {
  await tearDownContainerd();
  process.exit(128 + SIGNUM[gotSignal]);
}

// node's --test-timeout also bounds each test FILE as a whole. The kubelet
// conformance suite (dist/test/conformance/) runs real processes on the
// kubelet's real back-off timings for a few minutes: it gets 8 minutes.
const conformanceDir = join(testDir, 'conformance') + '/';
const testTimeoutMs = files.some((f) => f.startsWith(conformanceDir)) ? 480_000 : 300_000;

const code = await new Promise((resolve) => {
  child = spawn(process.execPath, ['--test', '--test-concurrency=2', `--test-timeout=${testTimeoutMs}`, ...files], {
    stdio: 'inherit',
    cwd: root,
    env: childEnv,
  });
  child.on('error', () => resolve(1));
  child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 + (SIGNUM[signal] ?? 0) : 1)));
});
child = null;
await tearDownContainerd();
if (gotSignal) process.exit(128 + SIGNUM[gotSignal]);
if (code === 0 && skipReason && (isCI || env.STATELET_CONTAINERD === '1')) process.exit(1);
process.exit(code);
