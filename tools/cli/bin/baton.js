#!/usr/bin/env node
// The `baton` command: loads the TypeScript sources with @swc-node/register (as every Baton
// process does) using the repository's tsconfig, whatever the current directory.
const path = require('node:path');
const root = path.resolve(__dirname, '..', '..', '..');
process.env.SWC_NODE_PROJECT ??= path.join(root, 'tsconfig.json');
require('@swc-node/register');
require('../src/main.ts');
