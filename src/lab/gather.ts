// Gathering the evidence of a lab's expectations: captures on every capture point for the whole
// run, then one probe at a time (each in its own time window) with the nft traces and state
// checks it asks for. Effects only; assert/ judges what this returns.
import { join } from 'node:path';
import { hopPoints, type ExpectationSpec } from '../labfile/schema.js';
import type { ClusterModel } from '../model/types.js';
import { labStateDir, netnsName } from '../model/names.js';
import type { AddressBook } from '../model/address-book.js';
import { startTrace } from '../kernel/trace.js';
import { startCaptures, type Captured } from '../capture/session.js';
import { parseNftTrace, type TracePacket } from '../capture/nft-trace.js';
import { probeFor } from '../probe/target.js';
import { readOutcome } from '../probe/probe.js';
import { runProbe } from '../probe/run.js';
import { readStates } from '../probe/state.js';
import type { ProbeWindow } from '../assert/expectation.js';
import type { KubectlWindow } from '../assert/kubectl-step.js';
import { splitWords } from '../shell-quote.js';

export interface GatherHooks {
  onExpectation?: (e: ExpectationSpec, index: number) => void;
  checkInterrupted: () => void;
  /** Runs a kubectl step (its words after `kubectl`). */
  kubectl?: (words: string[]) => Promise<KubectlWindow>;
  /** The lab as it is after a kubectl step, once it has settled. */
  refresh?: () => Promise<{ model: ClusterModel; book: AddressBook }>;
}

/** An expectation that could not run as written (a name no longer, or not yet, in the lab). */
export interface ErrorWindow {
  error: string;
}

export type Window = ProbeWindow | KubectlWindow | ErrorWindow;

/** After a probe, late packets of its flow (the last ACK, a FIN) still belong to its window: on
 * veths and bridges they arrive within a millisecond of the client's exit. */
const SETTLE_MS = Number(process.env.WIRELAB_SETTLE_MS ?? 40);

const isIpv4 = (s: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(s);

export async function gatherExpectations(
  model: ClusterModel,
  book: AddressBook,
  expectations: ExpectationSpec[],
  pcapDirOrUndefined: string | undefined,
  hooks: GatherHooks,
): Promise<{ windows: (Window | undefined)[]; books: AddressBook[]; captured: Captured }> {
  const lab = model.lab;
  const points = expectations.flatMap((e) => e.hops.flatMap(hopPoints));
  const session = await startCaptures(lab, points, pcapDirOrUndefined ?? join(labStateDir(lab), 'pcaps'));
  const windows: (Window | undefined)[] = [];
  const books: AddressBook[] = [];
  try {
    for (const [i, e] of expectations.entries()) {
      hooks.checkInterrupted();
      hooks.onExpectation?.(e, i);
      books.push(book);
      if (e.pending) {
        windows.push(undefined);
        continue;
      }
      if (e.kubectl !== undefined) {
        const words = splitWords(e.kubectl);
        if ('error' in words || !hooks.kubectl) {
          windows.push({ error: 'error' in words ? words.error : 'this lab has no control plane for kubectl' });
          continue;
        }
        windows.push(await hooks.kubectl(words.words));
        if (hooks.refresh) ({ model, book } = await hooks.refresh());
        continue;
      }
      const send = e.send!;
      const unknown = [send.to, send.dns?.server].find((n) => n !== undefined && !isIpv4(n) && book.resolve(n) === n);
      if (unknown !== undefined) {
        windows.push({ error: `"${unknown}" is not a pod, node, service or outside host of the lab as it is now` });
        continue;
      }
      const probe = probeFor(send, model, book);
      // nft traces of the request on each node the expectation names, marked by its source.
      const traces = await Promise.all(e.chains.map((c) => startTrace(netnsName(lab, c.node), { src: probe.flow.src, protocol: probe.flow.protocol })));
      const from = Date.now();
      let results: Awaited<ReturnType<typeof runProbe>> = [];
      let traced: TracePacket[][] = [];
      try {
        const serverNetns = probe.server && send.to ? netnsName(lab, book.senderNamespace(send.to)) : undefined;
        results = await runProbe(lab, netnsName(lab, book.senderNamespace(send.from)), probe, serverNetns);
        await new Promise((res) => setTimeout(res, SETTLE_MS));
      } finally {
        traced = (await Promise.all(traces.map((t) => t.stop()))).map(parseNftTrace);
      }
      const states = await readStates(lab, e.state);
      windows.push({ probe, outcome: readOutcome(probe, results), from: from - 5, to: Date.now(), traces: traced, states });
    }
  } finally {
    await session.stop();
  }
  return { windows, books, captured: await session.stop() };
}
