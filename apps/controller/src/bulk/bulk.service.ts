/**
 * One change applied to many devices (the dashboard's bulk action on
 * selected VFs) as an operation: each device is changed on its own, through
 * the same service call as `virtnet modify -u`, audited on its own, and is
 * one step of the operation's progress. A device that refuses (DRIVER_BOUND,
 * say) does not stop the others; the operation then ends failed, naming how
 * many refused and the first reason.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { VirtnetError, type BulkChange, type Operation } from '@virtnet/shared';
import { toVirtnetError } from '../common/errors.js';
import { AuditService, type Actor } from '../audit/audit.service.js';
import { DeviceOperations } from '../devices/device-operations.service.js';
import { DeviceRegistry } from '../devices/device-registry.js';
import { OperationsService } from '../operations/operations.service.js';

@Injectable()
export class BulkService {
  private readonly log = new Logger('bulk');

  constructor(
    @Inject(DeviceRegistry) private readonly registry: DeviceRegistry,
    @Inject(DeviceOperations) private readonly devices: DeviceOperations,
    @Inject(OperationsService) private readonly operations: OperationsService,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  /** Checks the devices, starts the operation and answers at once with its first state. */
  start(r: BulkChange, actor: Actor): Operation {
    const vuids = [...new Set(r.vuids)];
    if (r.device?.mac !== undefined && vuids.length > 1) throw new VirtnetError('INVALID_ARGUMENT', 'one MAC cannot be given to several devices', 'device.mac');
    const known = this.registry.handles();
    const live = new Set(known.values());
    const missing = vuids.find((v) => !live.has(v));
    if (missing) throw new VirtnetError('DEVICE_NOT_FOUND', `no device with VUID ${missing}`, 'vuids');
    const action = r.queue ? 'modify_queue' : 'modify_device';
    const op = this.operations.start(action, vuids.length === 1 ? vuids[0]! : `${vuids.length} devices`, vuids.length, actor);
    void this.run(op, vuids, actor, action, r);
    return this.operations.get(op.id)!;
  }

  private async run(
    op: ReturnType<OperationsService['start']>,
    vuids: string[],
    actor: Actor,
    action: string,
    r: BulkChange,
  ): Promise<void> {
    const failed: { vuid: string; code: string; message: string }[] = [];
    for (const vuid of vuids) {
      try {
        if (r.queue) await this.devices.modifyQueue({ selector: { vuid }, queue: r.queue }, actor);
        else await this.devices.modifyDevice({ selector: { vuid }, device: r.device! }, actor);
      } catch (e) {
        const err = toVirtnetError(e);
        failed.push({ vuid, code: err.code, message: err.message });
      }
      op.step();
    }
    const first = failed[0];
    const summary = `${vuids.length - failed.length} of ${vuids.length} devices changed`;
    if (first) {
      this.log.warn(`bulk ${action}: ${failed.length} refused, first ${first.vuid}: ${first.code}`);
      op.finish(new VirtnetError(first.code as VirtnetError['code'], `${failed.length} of ${vuids.length} devices refused; ${first.vuid}: ${first.message}`));
    } else op.finish();
    await this.audit.record({
      actor,
      action: `bulk_${action}`,
      target: `${vuids.length} devices`,
      result: first ? 'error' : 'ok',
      errorCode: first ? first.code : null,
      detail: `${summary}: ${JSON.stringify(r.queue ?? r.device)} (operation ${op.id})`,
    });
  }
}
