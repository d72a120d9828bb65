import type { HostStatus } from '@virtnet/shared';
import { HOST_DRIVER_UNSUPPORTED, VirtnetError } from '@virtnet/shared';
import type { HostAdapter } from './host-adapter.js';

/** `external`: the controller only exposes each device's vhost-user socket; the host is the user's front-end. */
export class ExternalHost implements HostAdapter {
  readonly mode = 'external' as const;
  async start(): Promise<void> {
    // nothing to start: the front-ends are the user's
  }
  async plug(): Promise<void> {
    // the socket is the device: a front-end connects when it likes
  }
  async unplug(): Promise<void> {
    // the device's socket goes with it
  }
  async status(): Promise<HostStatus> {
    return { mode: 'external', running: false, pid: null, devices: [] };
  }
  async command(): Promise<void> {
    throw new VirtnetError('NOT_SUPPORTED', HOST_DRIVER_UNSUPPORTED.external);
  }
  async close(): Promise<void> {
    // nothing held
  }
}
