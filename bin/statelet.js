#!/usr/bin/env node
// The statelet CLI. dist/ is built by `npm ci` (npm's prepare step runs tsc).
import { main } from '../dist/src/cli/index.js';

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`statelet: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
