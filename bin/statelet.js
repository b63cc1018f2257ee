#!/usr/bin/env node
// The statelet CLI. dist/ is built by `npm ci` (npm's prepare step runs tsc).
import { main } from '../dist/src/cli/index.js';

// A closed pipe (`statelet ... | head`) ends the output, not the process with a stack trace.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
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
