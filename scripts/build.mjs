#!/usr/bin/env node
// The build (`npm run build`): compiles every workspace's `src/**/*.ts` to `<workspace>/dist/`
// (CommonJS, unbundled, one .js and one .js.map per source file) with SWC and the repository's
// .swcrc, the same transform Jest runs, so tests and the compiled services see the same code.
//
// `dist/` mirrors `src/`, so paths relative to a module (`../package.json`, the repository root
// three levels up) stay right, and each library's package.json `main` points at
// `dist/index.js`: Node resolves `@baton/<lib>` through the workspace symlink in node_modules to
// the compiled library. Type-checking is `npm run typecheck`'s job; this only emits.
//
//   npm run build                 every workspace
//   npm run build -- libs/messaging services/scheduler   only these
import console from 'node:console';
import process from 'node:process';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformFile } from '@swc/core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const swcrc = JSON.parse(await readFile(path.join(root, '.swcrc'), 'utf8'));
delete swcrc.$schema;

/** Sources that are not part of a program: tests, type declarations, lint fixtures. */
const skip = (file) => /\.spec\.ts$|\.d\.ts$/.test(file) || file.split(path.sep).includes('fixtures');

async function exists(p) {
  return stat(p).then(() => true, () => false);
}

async function workspaces(only) {
  if (only.length > 0) return only.map((w) => path.resolve(root, w));
  const found = [];
  for (const group of ['libs', 'services', 'tools']) {
    for (const name of (await readdir(path.join(root, group))).sort()) {
      const dir = path.join(root, group, name);
      if (await exists(path.join(dir, 'package.json')) && await exists(path.join(dir, 'src'))) found.push(dir);
    }
  }
  return found;
}

async function sources(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && file.endsWith('.ts') && !skip(path.relative(dir, file))) out.push(file);
  }
  return out;
}

const outputOf = (workspace, file) => path.join(workspace, 'dist', path.relative(path.join(workspace, 'src'), file).replace(/\.ts$/, '.js'));

/**
 * Deletes what no source produces any more. dist/ is not wiped first: processes started from it
 * (`npm start -- --detach`) may still load modules lazily while a rebuild runs.
 */
async function removeStale(workspace, outputs) {
  const dist = path.join(workspace, 'dist');
  for (const entry of await readdir(dist, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && !outputs.has(file.replace(/\.map$/, '')) && !file.endsWith('.tmp')) await rm(file, { force: true });
  }
}

async function compile(workspace, file) {
  const outFile = outputOf(workspace, file);
  const out = await transformFile(file, {
    ...swcrc,
    swcrc: false,
    configFile: false,
    filename: file,
    sourceMaps: true,
    inlineSourcesContent: false,
    // The map names the source relative to the output, so stack traces point at src/.
    sourceFileName: path.relative(path.dirname(outFile), file),
    outputPath: outFile,
  });
  await mkdir(path.dirname(outFile), { recursive: true });
  if (out.map) await replace(`${outFile}.map`, out.map);
  await replace(outFile, `${out.code}\n//# sourceMappingURL=${path.basename(outFile)}.map\n`);
}

/** Writes only what changed, through a rename, so a running process never loads half a file. */
async function replace(file, text) {
  if ((await readFile(file, 'utf8').catch(() => undefined)) === text) return;
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

/** Node finds a library through its package.json `main`; one still naming src/*.ts would load TypeScript at run time and fail. */
async function checkLibraryEntry(workspace) {
  if (path.basename(path.dirname(workspace)) !== 'libs') return undefined;
  const pkg = JSON.parse(await readFile(path.join(workspace, 'package.json'), 'utf8'));
  return pkg.main === 'dist/index.js' ? undefined : `${path.relative(root, workspace)}/package.json: "main" is "${pkg.main}"; set it to "dist/index.js" (keep "types": "src/index.ts")`;
}

const started = Date.now();
let files = 0;
const problems = [];
for (const workspace of await workspaces(process.argv.slice(2))) {
  const problem = await checkLibraryEntry(workspace);
  if (problem) problems.push(problem);
  if (!(await exists(path.join(workspace, 'src')))) {
    console.error(`build: ${path.relative(root, workspace)} has no src/`);
    process.exit(1);
  }
  const list = await sources(path.join(workspace, 'src'));
  // SWC's own message names the file, line and column; the stack behind it says nothing more.
  const results = await Promise.allSettled(list.map((f) => compile(workspace, f)));
  for (const r of results) if (r.status === 'rejected') problems.push(String(r.reason?.message ?? r.reason).replace(/\n\s*Caused by:[\s\S]*$/, '').trim());
  await removeStale(workspace, new Set(list.map((f) => outputOf(workspace, f))));
  files += list.length;
}
if (problems.length > 0) {
  for (const p of problems) console.error(`build: ${p}`);
  process.exit(1);
}
console.log(`build: ${files} files compiled to dist/ in ${Date.now() - started} ms`);
