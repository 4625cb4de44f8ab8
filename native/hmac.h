/* HMAC for the native provider's key schedule (hmac.c); registered on the addon's exports by aead.c. */
#ifndef PROTOSMITH_HMAC_H
#define PROTOSMITH_HMAC_H
#include <node_api.h>

/* Adds hmac() to exports; 0 when N-API fails. */
int protosmith_hmac_init(napi_env env, napi_value exports);

#endif
