#!/usr/bin/env node
// `npm run gen:asyncapi`: writes docs/asyncapi.yaml from libs/contracts (the TypeScript sources,
// loaded through @swc-node/register, so no build is needed). `--check` writes nothing and exits 1
// when the checked-in file is stale.
import console from 'node:console';
import process from 'node:process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { buildAsyncApiDocument, renderAsyncApiYaml } = require(path.join(root, 'libs/contracts/src/asyncapi/index.ts'));

const target = path.join(root, 'docs/asyncapi.yaml');
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const text = renderAsyncApiYaml(buildAsyncApiDocument({ version }));

if (process.argv.includes('--check')) {
  const current = readFileSync(target, 'utf8');
  if (current !== text) {
    console.error('docs/asyncapi.yaml is stale: run npm run gen:asyncapi');
    process.exit(1);
  }
  console.log('docs/asyncapi.yaml is up to date');
} else {
  writeFileSync(target, text);
  console.log(`wrote ${path.relative(root, target)} (${text.split('\n').length} lines)`);
}
