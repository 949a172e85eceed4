// Opens a rendered report.html in Debian's headless Chromium (playwright-core drives /usr/bin/chromium; install
// it with `apt-get install -y chromium`) from a file:// URL: it must render offline, draw every chart at a real
// size and log no errors. The screenshot stays in test-artifacts/report.png for people to look at.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFromSweep, writeReports } from '../../toolkit/report/index.ts';
import type { SweepResult } from '../../toolkit/sweep/types.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');

let work: string;
let context: BrowserContext | undefined;
let page: Page;
const problems: string[] = [];
const requests: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'report-html-'));
  const sweep = JSON.parse(
    readFileSync(new URL('../fixtures/sweep/sweep.json', import.meta.url), 'utf8'),
  ) as SweepResult;
  const files = await writeReports(join(work, 'run'), modelFromSweep(sweep));

  context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(files.html).href, { waitUntil: 'load' });
});

afterAll(async () => {
  await context?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('report.html in Chromium', () => {
  it('renders offline with no errors and no requests beyond the file itself', async () => {
    expect(await page.title()).toBe('Scaling sweep sweep-fixture');
    expect(await page.locator('h1').textContent()).toBe('Scaling sweep sweep-fixture');
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
  });

  it('draws every chart at a real size', async () => {
    for (const id of ['chart-throughput', 'chart-latency', 'chart-distribution']) {
      const svg = page.locator(`#${id} svg`);
      await expect.poll(() => svg.count()).toBe(1);
      const box = await svg.boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.width).toBeGreaterThan(300);
      expect(box!.height).toBeGreaterThan(150);
    }
    // The measured points, the USL curve and the bars are drawn, not just the axes.
    expect(await page.locator('#chart-throughput circle').count()).toBeGreaterThanOrEqual(6);
    const curve = await page.locator('#chart-throughput [data-series="USL fit"] path').boundingBox();
    expect(curve!.width).toBeGreaterThan(200);
    expect(await page.locator('#chart-distribution rect.bar').count()).toBe(21);
  });

  it('shows the untrusted warning, the recommendation and the table', async () => {
    await expect.poll(() => page.locator('.untrusted-banner').isVisible()).toBe(true);
    expect(await page.locator('.untrusted-banner').textContent()).toMatch(/5 replica\(s\): k6 used 97% CPU/);
    await expect.poll(() => page.locator('.recommendation').isVisible()).toBe(true);
    expect(await page.locator('.recommendation').textContent()).toMatch(/Recommended: 4 replicas/);
    expect(await page.locator('table.levels tbody tr').count()).toBe(6);
    expect(await page.locator('table.levels tr.untrusted').count()).toBe(1);
  });

  it('keeps a screenshot', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const png = await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    // A PNG of a full page, not an empty one.
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(50_000);
  });
});
