// The --out directory: report.json, junit.xml and, given the run's results and the lab's
// topology, report.html (pcaps/ and capture.pcapng are written by the captures themselves).
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExpectationResult } from '../assert/expectation.js';
import type { Topology } from '../topology/types.js';
import { renderJunit, type LabReport } from './report.js';
import { buildReportPage } from './page/page.js';

export const REPORT_PAGE = 'report.html';

export async function writeArtefacts(outDir: string, report: LabReport, page?: { results: ExpectationResult[]; topology: Topology }): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFile(join(outDir, 'junit.xml'), renderJunit(report));
  if (page) {
    const files = ['capture.pcapng', 'report.json', 'junit.xml', 'pcaps'].filter((f) => existsSync(join(outDir, f)));
    await writeFile(join(outDir, REPORT_PAGE), await buildReportPage(report, page.results, page.topology, files));
  }
}
