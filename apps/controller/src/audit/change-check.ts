/**
 * Every request's params checked once, at the edge (the RPC dispatch, the
 * REST controllers), with the schema libs/shared pairs with its method.
 * A change refused for its params is audited as the change itself is when
 * refused (who, what, the devices it named, the code), so that the audit
 * log holds every change asked for, malformed ones included.
 */
import { Inject, Injectable } from '@nestjs/common';
import { RPC_METHODS, parseOrThrow, type RpcArgs, type RpcMethod, type Selector } from '@virtnet/shared';
import { toVirtnetError } from '../common/errors.js';
import { AuditService, type Actor } from './audit.service.js';

/** How the audit log names the devices a request's selector picks, before the selector is checked. */
function requestedTarget(params: unknown): string | null {
  const s = (params as { selector?: Partial<Selector> } | null)?.selector;
  if (!s || typeof s !== 'object') return null;
  if (s.all) return 'all';
  if (typeof s.vuid === 'string') return s.vuid;
  if (s.pf_id !== undefined) return s.vf_id !== undefined ? `pf ${String(s.pf_id)} vf ${String(s.vf_id)}` : `pf ${String(s.pf_id)}`;
  return null;
}

const noTarget = () => null;

/** The changes whose refusals are audited, with the action and the target each is audited under. */
const AUDITED: Partial<Record<RpcMethod, (params: unknown) => string | null>> = {
  hotplug: noTarget,
  unplug: requestedTarget,
  modify_device: requestedTarget,
  modify_queue: requestedTarget,
  host_action: requestedTarget,
  set_vfs: noTarget,
  debug_capture: requestedTarget,
};

@Injectable()
export class ChangeCheck {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  /** `params` as `method`'s schema makes them; a schema error for a change is audited before it is thrown. */
  async params<M extends RpcMethod>(method: M, params: unknown, actor: Actor): Promise<RpcArgs<M>> {
    try {
      return parseOrThrow(RPC_METHODS[method].params, params) as RpcArgs<M>;
    } catch (e) {
      const target = AUDITED[method];
      if (target) {
        const err = toVirtnetError(e);
        await this.audit.record({ actor, action: method, target: target(params), result: 'error', errorCode: err.code, detail: err.message });
      }
      throw e;
    }
  }
}
