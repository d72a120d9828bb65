import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuditEvent } from '@virtnet/shared';
import { AUDIT_STORE, type AuditStore, type NewAuditEvent } from '../database/stores.js';

/** Who may ask for a change: the CLI's socket, the HTTP API, or the controller itself. */
export type Actor = 'cli' | 'api' | 'system';

/** Records every requested change and its outcome. Failing to record never fails the change. */
@Injectable()
export class AuditService {
  private readonly log = new Logger('audit');

  constructor(@Inject(AUDIT_STORE) private readonly store: AuditStore) {}

  async record(e: NewAuditEvent): Promise<void> {
    try {
      await this.store.append(e);
    } catch (err) {
      this.log.error(`could not record ${e.action} of ${e.target ?? '-'}: ${(err as Error).message}`);
    }
  }

  recent(limit: number, beforeId?: number): Promise<AuditEvent[]> {
    return this.store.recent(limit, beforeId);
  }
}
