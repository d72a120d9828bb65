/**
 * The database behind two small interfaces, so services can be unit-tested
 * with in-memory fakes and run for real on Prisma.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { AuditEvent } from '@virtnet/shared';
import { PrismaService } from './prisma.service.js';
import type { Device as DeviceRow } from '../generated/prisma/client.js';

export type { DeviceRow };
export type NewDeviceRow = Omit<DeviceRow, 'createdAt' | 'updatedAt'>;
export type DeviceRowPatch = Partial<Omit<NewDeviceRow, 'vuid'>>;

export interface DeviceStore {
  all(): Promise<DeviceRow[]>;
  create(row: NewDeviceRow): Promise<DeviceRow>;
  /** Stores several new devices atomically. */
  createMany(rows: NewDeviceRow[]): Promise<DeviceRow[]>;
  /** Applies several updates atomically. */
  updateMany(changes: { vuid: string; patch: DeviceRowPatch }[]): Promise<DeviceRow[]>;
  remove(vuid: string): Promise<void>;
  /** Forgets every device (virtnet.conf's recovery: 0) and every SR-IOV setting. */
  clear(): Promise<void>;
  /** sriov_numvfs per static PF, as the host last set it. */
  sriovStates(): Promise<Map<number, number>>;
  /**
   * One SR-IOV change in one transaction: the new VF rows, the removed ones,
   * and the PF's sriov_numvfs (null: leave the recorded state alone).
   */
  applyVfChange(change: { pfId: number; numVfs: number | null; create: NewDeviceRow[]; remove: string[] }): Promise<DeviceRow[]>;
  /** A small JSON fact kept across restarts (update results). */
  getState(key: string): Promise<unknown>;
  setState(key: string, value: unknown): Promise<void>;
}

export interface NewAuditEvent {
  actor: string;
  action: string;
  target: string | null;
  result: 'ok' | 'error';
  errorCode: string | null;
  detail: string | null;
}

export interface AuditStore {
  append(event: NewAuditEvent): Promise<AuditEvent>;
  recent(limit: number, beforeId?: number): Promise<AuditEvent[]>;
}

export const DEVICE_STORE = Symbol('DEVICE_STORE');
export const AUDIT_STORE = Symbol('AUDIT_STORE');

@Injectable()
export class PrismaDeviceStore implements DeviceStore {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  all(): Promise<DeviceRow[]> {
    return this.prisma.device.findMany({ orderBy: [{ pfId: 'asc' }, { vfId: 'asc' }] });
  }

  create(row: NewDeviceRow): Promise<DeviceRow> {
    return this.prisma.device.create({ data: row });
  }

  createMany(rows: NewDeviceRow[]): Promise<DeviceRow[]> {
    return this.prisma.$transaction(rows.map((data) => this.prisma.device.create({ data })));
  }

  updateMany(changes: { vuid: string; patch: DeviceRowPatch }[]): Promise<DeviceRow[]> {
    return this.prisma.$transaction(changes.map((c) => this.prisma.device.update({ where: { vuid: c.vuid }, data: c.patch })));
  }

  async remove(vuid: string): Promise<void> {
    await this.prisma.device.delete({ where: { vuid } });
  }

  async clear(): Promise<void> {
    await this.prisma.$transaction([this.prisma.device.deleteMany({}), this.prisma.sriovState.deleteMany({})]);
  }

  async sriovStates(): Promise<Map<number, number>> {
    return new Map((await this.prisma.sriovState.findMany()).map((r) => [r.pfId, r.numVfs]));
  }

  async applyVfChange(c: { pfId: number; numVfs: number | null; create: NewDeviceRow[]; remove: string[] }): Promise<DeviceRow[]> {
    const [, ...rest] = await this.prisma.$transaction([
      this.prisma.device.deleteMany({ where: { vuid: { in: c.remove } } }),
      ...c.create.map((data) => this.prisma.device.create({ data })),
      ...(c.numVfs === null
        ? []
        : [this.prisma.sriovState.upsert({ where: { pfId: c.pfId }, create: { pfId: c.pfId, numVfs: c.numVfs }, update: { numVfs: c.numVfs } })]),
    ]);
    return rest.slice(0, c.create.length) as DeviceRow[];
  }

  async getState(key: string): Promise<unknown> {
    const row = await this.prisma.controllerState.findUnique({ where: { key } });
    return row ? (JSON.parse(row.value) as unknown) : undefined;
  }

  async setState(key: string, value: unknown): Promise<void> {
    const text = JSON.stringify(value);
    await this.prisma.controllerState.upsert({ where: { key }, create: { key, value: text }, update: { value: text } });
  }
}

@Injectable()
export class PrismaAuditStore implements AuditStore {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  async append(e: NewAuditEvent): Promise<AuditEvent> {
    return toAudit(await this.prisma.auditEvent.create({ data: e }));
  }

  async recent(limit: number, beforeId?: number): Promise<AuditEvent[]> {
    const rows = await this.prisma.auditEvent.findMany({
      where: beforeId ? { id: { lt: beforeId } } : {},
      orderBy: { id: 'desc' },
      take: limit,
    });
    return rows.map(toAudit);
  }
}

function toAudit(r: { id: number; at: Date; actor: string; action: string; target: string | null; result: string; errorCode: string | null; detail: string | null }): AuditEvent {
  return {
    id: r.id,
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    target: r.target,
    result: r.result === 'ok' ? 'ok' : 'error',
    error_code: r.errorCode,
    detail: r.detail,
  };
}
