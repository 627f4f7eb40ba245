/**
 * Runs fuzz inputs in a worker thread with a hard deadline, for targets whose code may hang or
 * allocate without bound (a hang cannot be interrupted in-process). The main thread posts the
 * input and blocks on Atomics.wait; past the deadline the worker is terminated and replaced and
 * the input counts as a 'slow' violation. Results come back synchronously through
 * receiveMessageOnPort, so this fits inside a synchronous fast-check property.
 */

import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { Stats, TargetInput } from './harness.js';

export interface IsolatedResult {
  ok: boolean;
  /** Violation text when !ok. */
  message?: string;
  stats: Stats;
}

export class IsolatedRunner {
  private worker: Worker | null = null;
  private port: MessagePort | null = null;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    private readonly target: string,
    /** Deadline per input, startup included (ms). */
    private readonly hardMs: number,
  ) {}

  private start(): void {
    const { port1, port2 } = new MessageChannel();
    this.worker = new Worker(new URL('./isolate-worker.js', import.meta.url), {
      workerData: { port: port2, flag: this.flag.buffer, target: this.target },
      transferList: [port2],
      stdout: false,
      stderr: false,
    });
    this.worker.unref();
    this.worker.on('error', () => {
      /* reported through the deadline */
    });
    this.port = port1;
    this.port.unref();
  }

  run(input: TargetInput): IsolatedResult {
    if (!this.worker) this.start();
    Atomics.store(this.flag, 0, 0);
    this.port!.postMessage({ ctx: input.ctx, bytes: input.bytes });
    const w = Atomics.wait(this.flag, 0, 0, this.hardMs);
    const msg = w === 'timed-out' ? undefined : receiveMessageOnPort(this.port!);
    if (!msg) {
      this.stop();
      return { ok: false, message: `slow: no result within the hard deadline of ${this.hardMs} ms on ${input.bytes.length} bytes (worker terminated)`, stats: {} };
    }
    return msg.message as IsolatedResult;
  }

  stop(): void {
    if (this.worker) void this.worker.terminate();
    this.port?.close();
    this.worker = null;
    this.port = null;
  }
}
