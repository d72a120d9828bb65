/**
 * A QEMU Machine Protocol client (QEMU's docs/interop/qmp-spec): JSON
 * objects over a unix socket, a greeting, capabilities negotiation, then
 * commands answered in order (matched by id here) and asynchronous events.
 */
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';

export class QmpError extends Error {
  constructor(
    readonly errorClass: string,
    readonly desc: string,
    readonly command: string,
  ) {
    super(`${command}: ${desc}`);
    this.name = 'QmpError';
  }
}

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
}

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** One QMP connection. Emits 'event' (QmpEvent) and 'close' (once). */
export class Qmp extends EventEmitter<{ event: [QmpEvent]; close: [] }> {
  private buf = '';
  private seq = 0;
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  private greeted?: (v: { version: unknown }) => void;

  private constructor(private readonly sock: Socket) {
    super();
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.receive(d));
    sock.on('close', () => this.shutdown(new Error('the QMP connection closed')));
    sock.on('error', (e) => this.shutdown(e));
  }

  /** Connects, reads the greeting and leaves negotiation mode. */
  static connect(path: string, timeoutMs = 5000): Promise<Qmp> {
    return new Promise((resolve, reject) => {
      const sock = connect(path);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`QMP at ${path} did not greet within ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      const qmp = new Qmp(sock);
      qmp.greeted = () => {
        qmp
          .execute('qmp_capabilities')
          .then(() => {
            clearTimeout(timer);
            resolve(qmp);
          })
          .catch((e: Error) => {
            clearTimeout(timer);
            qmp.close();
            reject(e);
          });
      };
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the QMP connection is closed'));
    const id = `v${++this.seq}`;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject });
      this.sock.write(JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id }) + '\n');
    });
  }

  /** Resolves with the first event `name` whose data satisfies `match`, or rejects after timeoutMs. */
  waitEvent(name: string, match: (data: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.off('event', onEvent);
        this.off('close', onClose);
      };
      const onEvent = (e: QmpEvent) => {
        if (e.event === name && match(e.data)) {
          done();
          resolve(e.data);
        }
      };
      const onClose = () => {
        done();
        reject(new Error(`the QMP connection closed while waiting for ${name}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${name} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.on('event', onEvent);
      this.on('close', onClose);
    });
  }

  close(): void {
    this.sock.destroy();
    this.shutdown(new Error('the QMP connection closed'));
  }

  private receive(data: string): void {
    this.buf += data;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (!line) continue;
      let msg: Record<string, any>;
      try {
        msg = JSON.parse(line);
      } catch {
        continue; // QMP speaks JSON only; a torn line cannot be acted on
      }
      if ('QMP' in msg) {
        this.greeted?.(msg['QMP']);
        this.greeted = undefined;
      } else if ('event' in msg) {
        this.emit('event', { event: String(msg['event']), data: (msg['data'] ?? {}) as Record<string, unknown> });
      } else if (typeof msg['id'] === 'string' && this.pending.has(msg['id'])) {
        const p = this.pending.get(msg['id'])!;
        this.pending.delete(msg['id']);
        if ('error' in msg) p.reject(new QmpError(String(msg['error']?.class), String(msg['error']?.desc), p.command));
        else p.resolve(msg['return']);
      }
    }
  }

  private shutdown(e: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.emit('close');
  }
}
