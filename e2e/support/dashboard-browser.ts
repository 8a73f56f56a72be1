// What the dashboard's browser test needs besides the stack: Debian's Chromium driven by
// playwright-core (no browser download; scripts/infra.sh installs the package) and its screenshots.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from './stack';

/** Where the test's screenshots go (gitignored); docs/images holds the one the README shows. */
export const SCREENSHOT_DIR = path.join(repoRoot, 'test-output', 'dashboard');

/** Debian's Chromium, or BATON_CHROMIUM. */
export function chromiumPath(): string {
  const candidates = [process.env['BATON_CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((c): c is string => c !== undefined && c !== '');
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) throw new Error(`no Chromium at ${candidates.join(', ')}: bash scripts/infra.sh up installs Debian's chromium (or set BATON_CHROMIUM)`);
  return found;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** Saves a screenshot (of the whole page unless `fullPage` is false) under {@link SCREENSHOT_DIR}; returns its path. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}
