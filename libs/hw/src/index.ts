export * from './hardware.js';
export { Dpu, type Attachment, type DpuOptions } from './dpu.js';
export { dpuBinary, dpuFiles, runningDpu, startDpu, waitGone } from './dpu-process.js';
export { Connection } from './native/connection.js';
export { resolveProfile, type DpuState, type ProfileOverrides, type StartOptions } from './native/records.js';
export { libraryCandidates } from './native/library.js';
export * from './notify.js';
export { peerCredentials, socketFd, userName, type PeerCredentials } from './peer.js';
