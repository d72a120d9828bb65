/**
 * Typed in-process events. Services publish what changed; the WebSocket
 * gateway (and anything else) subscribes without the services knowing.
 */
import { Injectable } from '@nestjs/common';
import type { AuditEvent, Device, Operation } from '@virtnet/shared';
import { EventEmitter } from 'node:events';

export interface EventMap {
  'device.added': { device: Device };
  'device.updated': { device: Device };
  'device.removed': { vuid: string };
  operation: { operation: Operation };
  audit: { event: AuditEvent };
}
export type EventName = keyof EventMap;

@Injectable()
export class EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  emit<E extends EventName>(name: E, payload: EventMap[E]): void {
    this.emitter.emit(name, payload);
  }

  on<E extends EventName>(name: E, listener: (payload: EventMap[E]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}
