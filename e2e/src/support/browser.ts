/**
 * Headless Chromium (Debian's /usr/bin/chromium) through playwright-core.
 * Every console error or page error is collected: a test fails on any.
 */
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './daemon.js';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'test-results/screenshots');

export interface Browser {
  page: Page;
  /** Console and page errors since the last call, minus those allowed for the current test; resets both. */
  takeErrors(): string[];
  /** The current test provokes console errors like these (a refused request, a killed server). */
  allow(...patterns: RegExp[]): void;
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens `url` (a daemon's loginUrl, which signs the browser in and lands on the dashboard). */
export async function openBrowser(url: string, opts: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  const profile = mkdtempSync(join(tmpdir(), 'vn-chrome-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: opts.viewport ?? { width: 1400, height: 900 },
    colorScheme: opts.colorScheme ?? 'light',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  let errors: string[] = [];
  let allowed: RegExp[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.setDefaultTimeout(15_000);
  await page.goto(url);
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    page,
    takeErrors() {
      const out = errors.filter((e) => !allowed.some((a) => a.test(e)));
      errors = [];
      allowed = [];
      return out;
    },
    allow(...patterns) {
      allowed.push(...patterns);
    },
    screenshot: async (name) => {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
