/**
 * Long bulk jobs and their progress. A service that runs one (VFs created
 * on a PF, a change applied to many devices) starts an operation, reports
 * each finished step and its end; watchers (the WebSocket's `operations`
 * topic, GET /api/v1/operations, the CLI) see it advance. Progress is
 * published at most every 100 ms per operation, plus the first and the last
 * step, so a 504-device job does not flood the socket.
 */
import { Inject, Injectable } from '@nestjs/common';
import { toVirtnetError } from '../common/errors.js';
import type { Operation } from '@virtnet/shared';
import { EventBus } from '../common/event-bus.js';

const KEEP_FINISHED = 50;
const PUBLISH_EVERY_MS = 100;

/** The running side of one operation, held by the service that runs it. */
export interface OperationHandle {
  readonly id: string;
  /** `n` more steps are done. */
  step(n?: number): void;
  /** The job ended: successfully without an error, failed with one. */
  finish(error?: unknown): void;
}

@Injectable()
export class OperationsService {
  private readonly ops = new Map<string, Operation>();
  private seq = 0;

  constructor(@Inject(EventBus) private readonly events: EventBus) {}

  start(action: string, target: string | null, total: number, actor: string): OperationHandle {
    const id = `op-${Date.now().toString(36)}-${(++this.seq).toString(36)}`;
    const op: Operation = { id, action, target, actor, state: 'running', total, done: 0, started_at: new Date().toISOString(), finished_at: null, error: null };
    this.ops.set(id, op);
    this.prune();
    let lastPublished = 0;
    const publish = (force: boolean) => {
      const now = Date.now();
      if (!force && now - lastPublished < PUBLISH_EVERY_MS) return;
      lastPublished = now;
      this.events.emit('operation', { operation: { ...op } });
    };
    publish(true);
    return {
      id,
      step: (n = 1) => {
        if (op.state !== 'running') return;
        op.done = Math.min(op.total, op.done + n);
        publish(op.done === op.total);
      },
      finish: (error?: unknown) => {
        if (op.state !== 'running') return;
        op.finished_at = new Date().toISOString();
        if (error === undefined) op.state = 'succeeded';
        else {
          const e = toVirtnetError(error);
          op.state = 'failed';
          op.error = { code: e.code, message: e.message };
        }
        publish(true);
        this.prune();
      },
    };
  }

  /** Running operations first, then the most recent finished ones. */
  list(): Operation[] {
    const all = [...this.ops.values()].map((o) => ({ ...o }));
    return all.sort((a, b) => Number(b.state === 'running') - Number(a.state === 'running') || b.started_at.localeCompare(a.started_at));
  }

  get(id: string): Operation | undefined {
    const op = this.ops.get(id);
    return op ? { ...op } : undefined;
  }

  private prune(): void {
    const finished = [...this.ops.values()].filter((o) => o.state !== 'running');
    for (const o of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.ops.delete(o.id);
  }
}
