import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { EventBus } from '../events/event-bus.js';
import type { AuditEvent } from '@virtnet/shared';
import { AUDIT_STORE, type AuditStore, type NewAuditEvent } from '../database/stores.js';

/** Who may ask for a change: the CLI's socket, the HTTP API, or the controller itself. */
export type Actor = 'cli' | 'api' | 'system';

/** Records every requested change and its outcome. Failing to record never fails the change. */
@Injectable()
export class AuditService {
  private readonly log = new Logger('audit');

  constructor(
    @Inject(AUDIT_STORE) private readonly store: AuditStore,
    @Optional() @Inject(EventBus) private readonly events?: EventBus,
  ) {}

  async record(e: NewAuditEvent): Promise<void> {
    try {
      const event = await this.store.append(e);
      // Live on the WebSocket's audit topic, once it is stored.
      this.events?.emit('audit', { event });
    } catch (err) {
      this.log.error(`could not record ${e.action} of ${e.target ?? '-'}: ${(err as Error).message}`);
    }
  }

  recent(limit: number, beforeId?: number): Promise<AuditEvent[]> {
    return this.store.recent(limit, beforeId);
  }
}
