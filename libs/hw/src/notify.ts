/**
 * The service manager's readiness protocol (sd_notify(3)): one datagram to
 * the unix socket named by NOTIFY_SOCKET, e.g. "READY=1". Node has no unix
 * datagram sockets, so this calls the C library's socket(2) and sendto(2)
 * through koffi, from the controller's own process (systemd attributes a
 * message to the process that sent it). No compiled addon is involved.
 *
 * The journal's native protocol goes the same way (JournalWriter): one
 * datagram per entry to /run/systemd/journal/socket, its fields as
 * `NAME=value` lines, so that an entry carries structured fields of its own
 * (`journalctl VIRTNET_AUDIT_ACTION=hotplug`), not only a line of text.
 */
import koffi from 'koffi';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
const MSG_DONTWAIT = 0x40;
const EAGAIN = 11;

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

/** The receiving end, for tests that play the service manager (or the journal). */
export class NotifyListener {
  private fd: number;
  private readonly messages: Buffer[] = [];

  constructor(readonly path: string) {
    const { buf, len } = address(path);
    this.fd = c().socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (this.fd < 0 || c().bind(this.fd, buf, len) !== 0) throw new Error(`cannot bind a datagram socket at ${path}`);
  }

  /** Every datagram received so far, oldest first. */
  drain(): string[] {
    return this.drainRaw().map((m) => m.toString('utf8'));
  }

  /** The same, as bytes. */
  drainRaw(): Buffer[] {
    const buf = Buffer.alloc(MAX_JOURNAL_ENTRY + 1);
    for (;;) {
      const n = c().recv(this.fd, buf, buf.length, MSG_DONTWAIT);
      if (n <= 0) break;
      this.messages.push(Buffer.from(buf.subarray(0, Number(n))));
    }
    return [...this.messages];
  }

  close(): void {
    if (this.fd >= 0) c().close(this.fd);
    this.fd = -1;
  }
}

/** Where journald listens for native-protocol entries (systemd-journald.service(8)). */
export const JOURNAL_SOCKET = '/run/systemd/journal/socket';

/** A field name journald accepts from a client: A-Z, 0-9 and _, not starting with _, at most 64 bytes. */
const FIELD_NAME = /^[A-Z0-9][A-Z0-9_]{0,63}$/;

/** Above this an entry would need a memfd, as sd_journal_send does; ours are a few hundred bytes. */
export const MAX_JOURNAL_ENTRY = 64 * 1024;

/**
 * One entry in the native protocol: `NAME=value\n` per field, or, for a
 * value holding a newline, `NAME\n` + its length as 64-bit little-endian
 * + the value + `\n` (systemd's "Native Journal Protocol").
 */
export function journalEntry(fields: Record<string, string | number>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, raw] of Object.entries(fields)) {
    if (!FIELD_NAME.test(name)) throw new Error(`journal field name ${JSON.stringify(name)}: only A-Z, 0-9 and _, not first`);
    const value = Buffer.from(String(raw));
    if (value.includes(0x0a)) {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(value.length));
      parts.push(Buffer.from(`${name}\n`), len, value, Buffer.from('\n'));
    } else parts.push(Buffer.from(`${name}=`), value, Buffer.from('\n'));
  }
  const entry = Buffer.concat(parts);
  if (entry.length > MAX_JOURNAL_ENTRY) throw new Error(`journal entry of ${entry.length} bytes exceeds ${MAX_JOURNAL_ENTRY}`);
  return entry;
}

/**
 * Sends entries to journald. Never blocks the caller: when the journal's
 * socket is full the entry is refused (thrown), not waited for.
 */
export class JournalWriter {
  private fd = -1;
  private readonly addr: { buf: Buffer; len: number };

  constructor(readonly path: string = JOURNAL_SOCKET) {
    this.addr = address(path);
  }

  send(fields: Record<string, string | number>): void {
    const data = journalEntry(fields);
    if (this.fd < 0) {
      this.fd = c().socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (this.fd < 0) throw new Error('journal: socket() failed');
    }
    if (c().sendto(this.fd, data, data.length, MSG_NOSIGNAL | MSG_DONTWAIT, this.addr.buf, this.addr.len) < 0) {
      const errno = koffi.errno();
      throw new Error(errno === EAGAIN ? `journal: ${this.path} is full, entry dropped` : `journal: sendto ${this.path} failed (errno ${errno})`);
    }
  }

  close(): void {
    if (this.fd >= 0) c().close(this.fd);
    this.fd = -1;
  }
}
