#!/usr/bin/env node
// The statelet CLI. dist/ is built by `npm ci` (npm's prepare step runs tsc).
import { main } from '../dist/src/cli/index.js';

// A closed pipe (`statelet ... | head`): the reader is gone. Stop as on SIGTERM (statelet
// run deletes its pod first; other commands just end), without a stack trace.
let stdoutClosed = false;
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err;
  if (stdoutClosed) return;
  stdoutClosed = true;
  process.kill(process.pid, 'SIGTERM');
});

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`statelet: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
