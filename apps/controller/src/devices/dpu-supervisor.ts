/**
 * Watches the DPU process. When it dies (SIGKILL, a crash: what a NIC
 * firmware reset is on real hardware) the controller notices within 50 ms,
 * keeps answering reads from what it last saw and refuses changes with
 * DPU_UNAVAILABLE, starts a new DPU and creates every stored device on it
 * again at the same VUID, BDF, MAC and SF number. Hosts reconnect to the
 * sockets by themselves and traffic resumes.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Dpu } from '@virtnet/hw';
import { DPU } from '../hardware/hardware.module.js';
import { AuditService } from '../audit/audit.service.js';
import { Reconciliation, type RecoveryReport } from './reconciliation.service.js';

export interface DpuOutage {
  at: string;
  reason: string;
  /** From noticing the DPU gone to every device created on its successor; null while it lasts. */
  recovered_ms: number | null;
  devices: number | null;
}

const RETRY_MS = [100, 250, 500, 1000, 2000, 5000];

@Injectable()
export class DpuSupervisor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('dpu');
  private unwatch?: () => void;
  private outage: DpuOutage | null = null;
  private restarting = false;
  private stopped = false;

  constructor(
    @Inject(DPU) private readonly dpu: Dpu,
    @Inject(Reconciliation) private readonly reconciliation: Reconciliation,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  onApplicationBootstrap(): void {
    // After the devices are reconciled at start: from here on a lost DPU is an outage.
    this.unwatch = this.dpu.watch((why) => void this.recover(why));
  }

  /** The last outage of the DPU, if any, and whether one is going on. */
  last(): { restarting: boolean; outage: DpuOutage | null } {
    return { restarting: this.restarting, outage: this.outage };
  }

  private async recover(why: string): Promise<void> {
    if (this.restarting || this.stopped) return;
    this.restarting = true;
    const t0 = performance.now();
    const outage: DpuOutage = { at: new Date().toISOString(), reason: why, recovered_ms: null, devices: null };
    this.outage = outage;
    this.log.error(`${why}: the devices are gone from it; starting a new DPU and creating them again`);
    try {
      let report: RecoveryReport | null = null;
      for (let attempt = 0; !this.stopped && !report; attempt++) {
        try {
          const a = await this.dpu.restart();
          this.log.log(`a new DPU process runs (pid ${a.pid})`);
          report = await this.reconciliation.rebuild();
          if (!this.dpu.isUp) {
            report = null;
            throw new Error('it went away again while the devices were being created');
          }
        } catch (e) {
          // Down again before the devices were back: start over.
          const wait = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]!;
          this.log.error(`the DPU did not come back (${(e as Error).message}); trying again in ${wait} ms`);
          await new Promise((r) => setTimeout(r, wait));
        }
      }
      if (!report) return;
      outage.recovered_ms = Math.round(performance.now() - t0);
      outage.devices = report.recovered + report.created;
      this.log.log(`the DPU is back: ${report.recovered} devices created again in ${outage.recovered_ms} ms, ${report.failed.length} failed`);
      await this.audit.record({
        actor: 'system',
        action: 'dpu_restart',
        target: `${report.recovered} devices`,
        result: report.failed.length ? 'error' : 'ok',
        errorCode: report.failed.length ? report.failed[0]!.code : null,
        detail: `${why}; recovered in ${outage.recovered_ms} ms`,
      });
    } finally {
      this.restarting = false;
    }
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.unwatch?.();
  }
}
