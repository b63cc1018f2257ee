#!/usr/bin/env node
// Regenerates the Mermaid diagrams at the end of README.md from the charts
// (everything after the "## Machines" heading's intro line).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { allMachines } from '../dist/src/cli/index.js';
import { exportMachines } from '../dist/src/cli/export-machines.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const marker = 'These diagrams come from `node bin/statelet.js export-machines --format mermaid`.';
const text = readFileSync(readme, 'utf8');
const at = text.indexOf(marker);
if (at < 0) throw new Error('README.md: machines marker not found');
const { text: diagrams } = await exportMachines(await allMachines(), { format: 'mermaid' });
let out = text.slice(0, at + marker.length) + '\n';
for (const [name, mmd] of Object.entries(diagrams)) out += `\n### ${name}\n\n\`\`\`mermaid\n${mmd.trimEnd()}\n\`\`\`\n`;
writeFileSync(readme, out);
console.log(`README.md: ${Object.keys(diagrams).length} diagrams written`);
