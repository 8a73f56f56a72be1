#!/usr/bin/env node
// The `baton-files` command: runs the compiled file mode (tools/mcp-files/dist, from `npm run build`).
const fs = require('node:fs');
const path = require('node:path');
const main = path.join(__dirname, '..', 'dist', 'main.js');
if (!fs.existsSync(main)) {
  console.error(`baton-files: ${path.relative(process.cwd(), main) || main} is missing; build Baton first: npm run build`);
  process.exit(70);
}
process.setSourceMapsEnabled(true);
require(main);
