/**
 * Who is on the other end of a unix stream socket: the kernel's record of
 * the process that connected (SO_PEERCRED, socket(7)), which the peer
 * cannot forge, and the name of its user. Node exposes neither, so this
 * calls the C library's getsockopt(2) and getpwuid_r(3) through koffi.
 */
import koffi from 'koffi';

const SOL_SOCKET = 1;
/** Linux's value on x86-64 and arm64 (asm-generic/socket.h). */
const SO_PEERCRED = 17;
const UCRED_SIZE = 12; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
  /** The user's name from the password database, or `uid N` when it has none. */
  user: string;
}

interface Libc {
  getsockopt: (fd: number, level: number, name: number, value: Buffer, len: number[]) => number;
  getpwuid_r: (uid: number, pwd: { pw_name?: string }, buf: Buffer, buflen: number, result: unknown[]) => number;
}

let libc: Libc | undefined;
function c(): Libc {
  if (!libc) {
    const lib = koffi.load('libc.so.6');
    // The record's strings live in buf, which outlives the call: koffi reads them after it returns.
    const passwd = koffi.struct('virtnet_passwd', {
      pw_name: 'str',
      pw_passwd: 'str',
      pw_uid: 'uint32_t',
      pw_gid: 'uint32_t',
      pw_gecos: 'str',
      pw_dir: 'str',
      pw_shell: 'str',
    });
    libc = {
      getsockopt: lib.func('int getsockopt(int fd, int level, int name, void *value, _Inout_ uint32_t *len)'),
      getpwuid_r: lib.func('getpwuid_r', 'int', ['uint32_t', koffi.out(koffi.pointer(passwd)), 'void *', 'size_t', koffi.out(koffi.pointer(koffi.pointer(passwd)))]),
    } as Libc;
  }
  return libc;
}

const names = new Map<number, string>();

/** The user name of `uid` (looked up once per uid: a lookup may ask a directory service). */
export function userName(uid: number): string {
  const known = names.get(uid);
  if (known !== undefined) return known;
  const pwd: { pw_name?: string } = {};
  const buf = Buffer.alloc(4096);
  const result: unknown[] = [null];
  let name = `uid ${uid}`;
  if (c().getpwuid_r(uid, pwd, buf, buf.length, result) === 0 && result[0] !== null && pwd.pw_name) name = pwd.pw_name;
  names.set(uid, name);
  return name;
}

/**
 * The credentials of the process that connected to `fd` (a unix stream
 * socket's descriptor), or null when the kernel gives none (not a unix
 * socket, already closed).
 */
export function peerCredentials(fd: number): PeerCredentials | null {
  if (!Number.isInteger(fd) || fd < 0) return null;
  const cred = Buffer.alloc(UCRED_SIZE);
  const len = [UCRED_SIZE];
  if (c().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, len) !== 0 || len[0] !== UCRED_SIZE) return null;
  const uid = cred.readUInt32LE(4);
  return { pid: cred.readInt32LE(0), uid, gid: cred.readUInt32LE(8), user: userName(uid) };
}

/** The descriptor under a node:net Socket of a unix socket server (libuv's pipe handle keeps it). */
export function socketFd(socket: object): number {
  const handle = (socket as { _handle?: { fd?: number } })._handle;
  return typeof handle?.fd === 'number' ? handle.fd : -1;
}
