import { Inject, Injectable, Logger, Optional, type OnModuleDestroy } from '@nestjs/common';
import { JournalWriter } from '@virtnet/hw';
import { EventBus } from '../common/event-bus.js';
import type { AuditEvent } from '@virtnet/shared';
import { AUDIT_STORE, type AuditStore, type NewAuditEvent } from '../database/stores.js';
import { SETTINGS, type Settings } from '../settings/settings.js';

/**
 * Who asked for a change: the CLI's socket (`cli:USER`, the OS user of the
 * process that connected, from the kernel's peer credentials; plain `cli`
 * where the kernel gave none), the HTTP API (the remote CLI too), or the
 * controller itself.
 */
export type Actor = 'cli' | `cli:${string}` | 'api' | 'system';

/**
 * Every audit entry of the journal carries this MESSAGE_ID, so that a log
 * pipeline picks them out (`journalctl MESSAGE_ID=8ffdedabc13a49738bf6515f6f7eb712`).
 */
export const AUDIT_MESSAGE_ID = '8ffdedabc13a49738bf6515f6f7eb712';

/** syslog priorities (sd-daemon(3)): a change done is news, a refused one a warning. */
const NOTICE = 5;
const WARNING = 4;

/**
 * Records every requested change and its outcome: in the database (the
 * dashboard's and `GET /api/v1/events`' log), on the WebSocket's audit topic,
 * and, where the journal listens, as a journal entry with structured fields
 * (who, what, target, result), which the fleet's log pipeline collects as
 * it collects the rest of the machine's journal. Failing to record never
 * fails the change.
 */
@Injectable()
export class AuditService implements OnModuleDestroy {
  private readonly log = new Logger('audit');
  private readonly journal: JournalWriter | null;
  /** The journal refused the last entry: said once, and again when it recovers. */
  private journalFailing = false;

  constructor(
    @Inject(AUDIT_STORE) private readonly store: AuditStore,
    @Optional() @Inject(EventBus) private readonly events?: EventBus,
    @Optional() @Inject(SETTINGS) settings?: Settings,
  ) {
    this.journal = settings?.journalSocket ? new JournalWriter(settings.journalSocket) : null;
  }

  async record(e: NewAuditEvent): Promise<void> {
    let event: AuditEvent | undefined;
    try {
      event = await this.store.append(e);
      // Live on the WebSocket's audit topic, once it is stored.
      this.events?.emit('audit', { event });
    } catch (err) {
      this.log.error(`could not record ${e.action} of ${e.target ?? '-'}: ${(err as Error).message}`);
    }
    this.toJournal(e, event);
  }

  private toJournal(e: NewAuditEvent, stored: AuditEvent | undefined): void {
    if (!this.journal) return;
    const fields: Record<string, string | number> = {
      MESSAGE: `${e.actor} ${e.action} ${e.target ?? '-'}: ${e.result}${e.errorCode ? ` (${e.errorCode})` : ''}`,
      MESSAGE_ID: AUDIT_MESSAGE_ID,
      PRIORITY: e.result === 'ok' ? NOTICE : WARNING,
      SYSLOG_IDENTIFIER: 'virtnet-controller',
      VIRTNET_AUDIT_ACTOR: e.actor,
      VIRTNET_AUDIT_ACTION: e.action,
      VIRTNET_AUDIT_TARGET: e.target ?? '',
      VIRTNET_AUDIT_RESULT: e.result,
      ...(e.errorCode ? { VIRTNET_AUDIT_ERROR_CODE: e.errorCode } : {}),
      ...(e.detail ? { VIRTNET_AUDIT_DETAIL: e.detail } : {}),
      ...(stored ? { VIRTNET_AUDIT_ID: stored.id } : {}),
    };
    try {
      this.journal.send(fields);
      if (this.journalFailing) this.log.log(`the journal (${this.journal.path}) takes audit entries again`);
      this.journalFailing = false;
    } catch (err) {
      if (!this.journalFailing) this.log.warn(`audit entries do not reach the journal: ${(err as Error).message}`);
      this.journalFailing = true;
    }
  }

  recent(limit: number, beforeId?: number): Promise<AuditEvent[]> {
    return this.store.recent(limit, beforeId);
  }

  onModuleDestroy(): void {
    this.journal?.close();
  }
}
