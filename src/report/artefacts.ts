// The --out directory: report.json and junit.xml (pcaps/ is written by the captures themselves).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderJunit, type LabReport } from './report.js';

export async function writeArtefacts(outDir: string, report: LabReport): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFile(join(outDir, 'junit.xml'), renderJunit(report));
}
