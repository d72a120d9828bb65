/**
 * JSON-RPC 2.0 for the CLI over a unix socket ($VIRTNET_HOME/virtnet.sock,
 * mode 0600: only the controller's user may drive it). One request per line,
 * one response per line. Application errors use code -32000 with the stable
 * error code and field in `data`.
 *
 * The same methods answer POST /api/v1/rpc (rpc.controller.ts) for the CLI
 * on another machine, behind the access token: one request body, one
 * response body, the same shapes, so that every command prints the same and
 * exits with the same status either way. Changes made that way are audited
 * as the API's.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { JSONRPCErrorException, JSONRPCServer } from 'json-rpc-2.0';
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { RPC_APP_ERROR, type RpcArgs, type RpcMethod } from '@virtnet/shared';
import { peerCredentials, socketFd } from '@virtnet/hw';
import type { Actor } from '../audit/audit.service.js';
import { ChangeCheck } from '../audit/change-check.js';
import { DebugService } from '../debug/debug.service.js';
import { AuthService } from '../auth/auth.service.js';
import { toVirtnetError } from '../common/errors.js';
import { ConfigService } from '../config/config.service.js';
import { DeviceOperations } from '../devices/device-operations.service.js';
import { DeviceQueries } from '../devices/device-queries.service.js';
import { HostActions } from '../devices/host-actions.service.js';
import { OperationsService } from '../operations/operations.service.js';
import { RecoveryService } from '../recovery/recovery.service.js';
import { SETTINGS, type Settings } from '../settings/settings.js';
import { SriovService } from '../sriov/sriov.service.js';
import { SystemService } from '../system/system.service.js';
import { UpdateService } from '../update/update.service.js';

/** A request line longer than this is refused and the connection closed. */
export const MAX_LINE_BYTES = 1 << 20;

/** Each method's handler takes its params as the method's schema made them. */
type Handlers = { [M in RpcMethod]: (params: RpcArgs<M>, actor: Actor) => unknown };

@Injectable()
export class RpcServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('rpc');
  private readonly rpc = new JSONRPCServer<Actor>();
  private readonly remote = new JSONRPCServer<Actor>();
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(ChangeCheck) private readonly check: ChangeCheck,
    @Inject(DeviceQueries) queries: DeviceQueries,
    @Inject(DeviceOperations) devices: DeviceOperations,
    @Inject(HostActions) host: HostActions,
    @Inject(SriovService) sriov: SriovService,
    @Inject(SystemService) system: SystemService,
    @Inject(AuthService) auth: AuthService,
    @Inject(ConfigService) config: ConfigService,
    @Inject(RecoveryService) recovery: RecoveryService,
    @Inject(UpdateService) update: UpdateService,
    @Inject(OperationsService) operations: OperationsService,
    @Inject(DebugService) debug: DebugService,
  ) {
    const handlers: Handlers = {
      list: () => queries.list(),
      query: (p) => queries.query(p),
      stats: (p) => queries.stats(p),
      hotplug: (p, actor) => devices.hotplug(p, actor),
      unplug: (p, actor) => devices.unplug(p, actor),
      modify_device: (p, actor) => devices.modifyDevice(p, actor),
      modify_queue: (p, actor) => devices.modifyQueue(p, actor),
      version: () => system.version(),
      health: () => system.health(),
      host: () => host.status(),
      host_action: (p, actor) => host.act(p, actor),
      // The socket is owner-only, and over HTTP the caller showed the token: either may hold it.
      dashboard: () => auth.dashboard(),
      log: (p) => config.level(p),
      validate: (p) => config.validate(p),
      set_vfs: (p, actor) => sriov.setVfs(p, actor),
      sriov: () => sriov.status(),
      recovery_import: (p, actor) => recovery.importFiles(p, actor),
      recovery_export: () => recovery.exportRecords(),
      update_start: (_p, actor) => update.start('update', actor),
      update_status: () => update.status(),
      restart: (_p, actor) => update.start('restart', actor),
      operations: () => ({ operations: operations.list() }),
      debug: (p) => debug.rings(p),
      debug_capture: (p, actor) => debug.capture(p, actor),
    };
    this.register(this.rpc, handlers);
    this.register(this.remote, handlers);
  }

  /** Every method's params are checked here, once, before its service sees them. */
  private register(server: JSONRPCServer<Actor>, handlers: Handlers): void {
    for (const name of Object.keys(handlers) as RpcMethod[]) {
      const handle = handlers[name] as (params: unknown, actor: Actor) => unknown;
      // The actor comes with each request: the socket's caller (cli:USER), or api.
      server.addMethod(name, async (params, actor) => {
        this.log.debug(`rpc ${name} from ${actor}`);
        try {
          return await handle(await this.check.params(name, params ?? {}, actor), actor);
        } catch (e) {
          const err = toVirtnetError(e);
          if (err.code === 'INTERNAL') this.log.error(`${name}: ${e instanceof Error ? e.stack : String(e)}`);
          throw new JSONRPCErrorException(err.message, RPC_APP_ERROR, { code: err.code, ...(err.field ? { field: err.field } : {}) });
        }
      });
    }
  }

  /** One request from POST /api/v1/rpc; null for a notification (a request without id). */
  async receiveRemote(request: unknown): Promise<unknown> {
    return await this.remote.receive(request as Parameters<JSONRPCServer['receive']>[0], 'api');
  }

  onApplicationBootstrap(): Promise<void> {
    // main.ts made sure no live controller owns the socket; what is left is stale.
    rmSync(this.settings.socketPath, { force: true });
    return new Promise((resolve, reject) => {
      const server = createServer((s) => this.serve(s));
      server.once('error', reject);
      server.listen(this.settings.socketPath, () => {
        chmodSync(this.settings.socketPath, 0o600);
        server.off('error', reject);
        server.on('error', (e) => this.log.error(`socket error: ${e.message}`));
        this.server = server;
        resolve();
      });
    });
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    // The socket is owner-only, so the caller is the controller's user or root; the audit names which.
    const cred = peerCredentials(socketFd(socket));
    const actor: Actor = cred ? `cli:${cred.user}` : 'cli';
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (Buffer.byteLength(buffer) > MAX_LINE_BYTES && !buffer.includes('\n')) {
        socket.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32600, message: `request exceeds ${MAX_LINE_BYTES} bytes` } }) + '\n');
        return;
      }
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) void this.answer(socket, line, actor);
      }
    });
  }

  private async answer(socket: Socket, line: string, actor: Actor): Promise<void> {
    const response = await this.rpc.receiveJSON(line, actor);
    if (response && !socket.destroyed) socket.write(JSON.stringify(response) + '\n');
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    rmSync(this.settings.socketPath, { force: true });
  }
}
