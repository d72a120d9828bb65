export * from './hardware.js';
export { NativeHardware, type ProfileOverrides } from './native-hardware.js';
export { libraryCandidates } from './native/library.js';
export * from './notify.js';
