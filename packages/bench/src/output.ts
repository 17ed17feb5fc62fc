/** Writes a report's files: `report.json` and the SVG charts. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchReport } from './suite.js';
import { charts } from './svg.js';

/**
 * Writes `report.json` and one SVG per chart into `dir` (created if missing).
 * @returns the paths written.
 */
export async function writeReportFiles(report: BenchReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const json = join(dir, 'report.json');
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  written.push(json);
  for (const [name, svg] of Object.entries(charts(report))) {
    const path = join(dir, name);
    await writeFile(path, svg);
    written.push(path);
  }
  return written;
}
