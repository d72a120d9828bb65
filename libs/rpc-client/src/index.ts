export * from './client.js';
export * from './socket.js';
