/**
 * The service manager's readiness protocol (sd_notify(3)): one datagram to
 * the unix socket named by NOTIFY_SOCKET, e.g. "READY=1". Node has no unix
 * datagram sockets, so this calls the C library's socket(2) and sendto(2)
 * through koffi, from the controller's own process (systemd attributes a
 * message to the process that sent it). No compiled addon is involved.
 */
import koffi from 'koffi';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
const MSG_DONTWAIT = 0x40;

interface Libc {
  socket: (domain: number, type: number, protocol: number) => number;
  sendto: (fd: number, buf: Buffer, len: number, flags: number, addr: Buffer, addrlen: number) => number;
  bind: (fd: number, addr: Buffer, addrlen: number) => number;
  recv: (fd: number, buf: Buffer, len: number, flags: number) => number;
  close: (fd: number) => number;
}

let libc: Libc | undefined;
function c(): Libc {
  if (!libc) {
    const lib = koffi.load('libc.so.6');
    libc = {
      socket: lib.func('int socket(int domain, int type, int protocol)'),
      sendto: lib.func('intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)'),
      bind: lib.func('int bind(int fd, const void *addr, uint32_t addrlen)'),
      recv: lib.func('intptr_t recv(int fd, void *buf, size_t len, int flags)'),
      close: lib.func('int close(int fd)'),
    } as Libc;
  }
  return libc;
}

/** sockaddr_un for a path; a leading '@' names an abstract socket (as systemd does). */
function address(path: string): { buf: Buffer; len: number } {
  const abstract = path.startsWith('@');
  const name = Buffer.from(abstract ? path.slice(1) : path);
  if (name.length > 107) throw new Error(`socket path too long: ${path}`);
  const buf = Buffer.alloc(110);
  buf.writeUInt16LE(AF_UNIX, 0);
  name.copy(buf, abstract ? 3 : 2);
  return { buf, len: abstract ? 3 + name.length : 2 + name.length + 1 };
}

/**
 * Sends `message` to $NOTIFY_SOCKET. Returns false when no service manager
 * listens (the variable is unset), throws when the send fails.
 */
export function sdNotify(message: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const path = env['NOTIFY_SOCKET'];
  if (!path) return false;
  const { buf, len } = address(path);
  const fd = c().socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new Error('sd_notify: socket() failed');
  try {
    const data = Buffer.from(message);
    if (c().sendto(fd, data, data.length, MSG_NOSIGNAL, buf, len) < 0) throw new Error(`sd_notify: sendto ${path} failed`);
  } finally {
    c().close(fd);
  }
  return true;
}

/** The receiving end, for tests that play the service manager. */
export class NotifyListener {
  private fd: number;
  private readonly messages: string[] = [];

  constructor(readonly path: string) {
    const { buf, len } = address(path);
    this.fd = c().socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (this.fd < 0 || c().bind(this.fd, buf, len) !== 0) throw new Error(`cannot bind a datagram socket at ${path}`);
  }

  /** Every datagram received so far, oldest first. */
  drain(): string[] {
    const buf = Buffer.alloc(4096);
    for (;;) {
      const n = c().recv(this.fd, buf, buf.length, MSG_DONTWAIT);
      if (n <= 0) break;
      this.messages.push(buf.subarray(0, Number(n)).toString('utf8'));
    }
    return [...this.messages];
  }

  close(): void {
    if (this.fd >= 0) c().close(this.fd);
    this.fd = -1;
  }
}
