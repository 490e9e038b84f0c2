// testLab: gather the evidence of every expectation and truth table of a lab that is up, judge
// it, and report (report.html, report.json, junit.xml and capture.pcapng with --out).
import { join } from 'node:path';
import type { ExpectationSpec } from '../labfile/schema.js';
import { addressBook } from '../model/address-book.js';
import type { ClusterModel } from '../model/types.js';
import { adminClient, liveModel, waitSettled } from './cluster-api.js';
import { isAlive } from '../kernel/processes.js';
import { readState } from '../kernel/state.js';
import { probeReachability } from '../probe/reachability.js';
import { judgeExpectation, type ExpectationResult } from '../assert/expectation.js';
import { judgeReachability, pendingResult } from '../assert/reachability.js';
import { buildReport, type LabReport } from '../report/report.js';
import { writeArtefacts } from '../report/artefacts.js';
import { writeMergedCapture } from '../capture/merge.js';
import { buildTopology, expectationPoints } from '../topology/build.js';
import { topologyPlan } from '../plan/plan-lab.js';
import type { Topology } from '../topology/types.js';
import { gatherExpectations, type Window } from './gather.js';
import { judgeKubectlStep } from '../assert/kubectl-step.js';
import { runKubectl } from '../kernel/kubectl.js';
import type { AddressBook } from '../model/address-book.js';
import type { Captured } from '../capture/session.js';
import { checkInterrupted } from './interrupt.js';
import type { PreparedLab } from './prepare.js';

/** The lab as the API has it once it has settled (kubectl may have changed it since `lab up`). */
async function settledModel(model: ClusterModel): Promise<ClusterModel> {
  const client = adminClient(model.lab);
  try {
    await waitSettled(model, client, 60_000);
    return await liveModel(model, client);
  } finally {
    client.close();
  }
}

export interface TestOptions {
  outDir?: string;
  onExpectation?: (e: ExpectationSpec, index: number) => void;
  /** The judges' full verdicts (hops with what was seen where), e.g. for an exercise's grade. */
  onResults?: (results: ExpectationResult[]) => void;
}

/** Runs every expectation against a lab that is up; returns the report (and writes --out). */
export async function testLab(p: PreparedLab, opts: TestOptions = {}): Promise<LabReport> {
  const started = performance.now();
  const lab = p.model.lab;
  const state = await readState(lab);
  if (!state || state.phase !== 'up') throw new Error(`lab "${lab}" is not up: run \`lab up ${lab}\` (or \`lab run ${lab}\`)`);
  if (state.digest !== p.digest) throw new Error(`the lab file ${p.loaded.file} changed since \`lab up\`: run \`lab down ${lab}\` and bring it up again`);
  const dead = state.processes.filter((x) => !isAlive(x.pid));
  const live = p.model.controlPlane === 'kubernetes';
  let model = live ? await settledModel(p.model) : p.model;
  let book = addressBook(model);
  const { expectations, reachability } = p.loaded.spec;
  const gathered = await gatherExpectations(model, book, expectations, opts.outDir ? join(opts.outDir, 'pcaps') : undefined, {
    onExpectation: opts.onExpectation,
    checkInterrupted,
    ...(live
      ? {
          kubectl: async (words: string[]) => {
            const from = Date.now();
            const r = await runKubectl(lab, words);
            return { argv: ['kubectl', ...words], ...r, from, to: Date.now() };
          },
          refresh: async () => {
            model = await settledModel(p.model);
            book = addressBook(model);
            return { model, book };
          },
        }
      : {}),
  });
  const { windows, books, captured } = gathered;
  // Every capture point in one pcapng for Wireshark, next to the per-point pcaps.
  if (opts.outDir) await writeMergedCapture(join(opts.outDir, 'capture.pcapng'), captured.files, `wirelab: lab ${lab}`);
  const results: ExpectationResult[] = expectations.map((e, i) => judgeWindow(e, windows[i], captured, books[i]));
  for (const t of reachability) {
    checkInterrupted();
    results.push(t.pending ? pendingResult(t.name, t.pending) : judgeReachability(t, await probeReachability(model, book, t)));
  }
  if (dead.length > 0 && results.some((r) => !r.passed)) {
    const note = `; note: ${dead.map((d) => d.name).join(', ')} ${dead.length === 1 ? 'is' : 'are'} not running`;
    for (const r of results) if (!r.passed) r.message += note;
  }
  opts.onResults?.(results);
  const report = buildReport(lab, results, Math.round(performance.now() - started));
  if (p.warnings.length > 0) report.warnings = p.warnings.map((w) => w.message);
  if (opts.outDir) await writeArtefacts(opts.outDir, report, { results, topology: labTopology(p, model) });
  return report;
}

function judgeWindow(e: ExpectationSpec, w: Window | undefined, captured: Captured, book: AddressBook): ExpectationResult {
  if (w && 'error' in w) return { name: e.name, passed: false, message: w.error, hops: [], durationMs: 0 };
  if (w && 'code' in w) return judgeKubectlStep(e, w);
  return judgeExpectation(e, w, captured, book);
}

/** The lab's topology, with every capture point its expectations name. */
export function labTopology(p: PreparedLab, model: ClusterModel = p.model): Topology {
  return buildTopology(model, topologyPlan(model), expectationPoints(p.loaded.spec.expectations));
}
