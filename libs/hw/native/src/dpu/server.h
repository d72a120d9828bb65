/*
 * server.h - the DPU process's control socket (proto/ctl.h): it answers
 * libvnet's requests one at a time, on the thread that runs it, and keeps
 * running whoever connects or goes away. Until a client provisions it the
 * DPU has no functions; once provisioned it keeps them until powered off.
 */
#ifndef VNET_DPU_SERVER_H
#define VNET_DPU_SERVER_H

#include <stdbool.h>
#include <stddef.h>

struct server;

/* How the server reports what happens (lifecycle, clients, refusals). */
typedef void (*server_log)(const char *line);

/*
 * Listens at `path` (mode 0600). Refuses (-EADDRINUSE, with why) when
 * another process already answers there; a stale socket file is replaced.
 */
int server_open(const char *path, const char *version, server_log log, struct server **out, char *why, size_t n);

/*
 * Serves until SIGTERM or SIGINT (taken with a signalfd: block them in
 * every thread first) or a SHUTDOWN request: either powers the DPU off,
 * removing its sockets and representors. Returns 0 then.
 */
int server_run(struct server *s);

/* Closes the socket. With `keep_devices` the DPU's functions are only
 * released (their sockets and representors stay), as after a crash. */
void server_close(struct server *s, bool keep_devices);

#endif
