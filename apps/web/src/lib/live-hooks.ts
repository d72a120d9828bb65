/**
 * Narrow reads of the live store: each hook selects one topic, or one
 * device's piece of it, and re-renders its component only when that
 * selection changes. A telemetry sample therefore reaches the traffic
 * figures and the charts, not the page around them; a device change reaches
 * the row that shows it. Selections are compared with Object.is: select a
 * field of the store, or a primitive (a number, the text shown), never a
 * fresh object.
 */
import type { Device, HostStatus, Operation } from '@virtnet/shared';
import { useSyncExternalStoreWithSelector } from 'use-sync-external-store/with-selector';
import { live, type Connection, type LiveState, type Traffic } from './live';

export function useLive<T>(select: (s: LiveState) => T, isEqual?: (a: T, b: T) => boolean): T {
  return useSyncExternalStoreWithSelector(live.subscribe, live.snapshot, live.snapshot, select, isEqual);
}

export const useConnection = (): Connection => useLive((s) => s.connection);
export const useConnectionState = (): Connection['state'] => useLive((s) => s.connection.state);
export const useAuth = (): LiveState['auth'] => useLive((s) => s.auth);
export const usePaused = (): boolean => useLive((s) => s.paused);
export const useHost = (): HostStatus | null => useLive((s) => s.host);

export const useDevices = (): ReadonlyMap<string, Device> => useLive((s) => s.devices);
export const useDevice = (vuid: string): Device | undefined => useLive((s) => s.devices.get(vuid));

export const useOperations = (): ReadonlyMap<string, Operation> => useLive((s) => s.operations);
export const useOperation = (id: string | undefined): Operation | undefined => useLive((s) => (id === undefined ? undefined : s.operations.get(id)));
/** How many operations run now (the shell's badge): a number, so progress within them re-renders nothing. */
export const useRunningCount = (): number =>
  useLive((s) => {
    let n = 0;
    for (const o of s.operations.values()) if (o.state === 'running') n++;
    return n;
  });

/** Every device's traffic together, from the last sample. */
export const useTotals = (): Traffic => useLive((s) => s.totals);
/** One figure of one device's traffic, as `format` shows it: a sample that leaves the text as it was re-renders nothing. */
export function useTrafficText(vuid: string, field: Exclude<keyof Traffic, 'at'>, format: (v: number | undefined) => string): string {
  return useLive((s) => format(s.traffic.get(vuid)?.[field]));
}
