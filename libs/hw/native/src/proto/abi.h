/* abi.h - error names and the default profile, known to both sides. */
#ifndef VNET_PROTO_ABI_H
#define VNET_PROTO_ABI_H

#include "vnet_abi.h"

const char *abi_strerror(int err);
const char *abi_err_name(int err);
void abi_profile_default(vnet_profile *p);

#endif
