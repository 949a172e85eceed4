// Writes every file rendering of a model next to the run's raw results.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderHtml } from './html.ts';
import { renderJson } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import type { ReportModel } from './model.ts';

export interface ReportFiles {
  json: string;
  markdown: string;
  html: string;
  junit: string;
}

export async function writeReports(dir: string, m: ReportModel): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true });
  const files: ReportFiles = {
    json: join(dir, 'report.json'),
    markdown: join(dir, 'report.md'),
    html: join(dir, 'report.html'),
    junit: join(dir, 'junit.xml'),
  };
  await Promise.all([
    writeFile(files.json, renderJson(m)),
    writeFile(files.markdown, renderMarkdown(m)),
    writeFile(files.html, renderHtml(m)),
    writeFile(files.junit, renderJunit(m)),
  ]);
  return files;
}
