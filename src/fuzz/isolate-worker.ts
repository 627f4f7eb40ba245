/** Worker side of IsolatedRunner: runs one input at a time through runInput and reports back. */

import { workerData, type MessagePort } from 'node:worker_threads';
import { runInput, Violation, describeError, type Stats } from './harness.js';
import { targetByName } from './targets.js';

const { port, flag, target } = workerData as { port: MessagePort; flag: SharedArrayBuffer; target: string };
const shared = new Int32Array(flag);
const t = targetByName(target);

port.on('message', (m: { ctx: string; bytes: Uint8Array }) => {
  const stats: Stats = {};
  let res: { ok: boolean; message?: string; stats: Stats };
  try {
    if (!t) throw new Violation('invariant', `unknown target ${target}`);
    runInput(t, { ctx: m.ctx, bytes: m.bytes }, stats);
    res = { ok: true, stats };
  } catch (e) {
    res = { ok: false, message: e instanceof Violation ? e.message : describeError(e), stats };
  }
  port.postMessage(res);
  Atomics.store(shared, 0, 1);
  Atomics.notify(shared, 0);
});
