/* Shared by the addon's C files: a call's arguments, and a Uint8Array argument as a pointer and a length. */
#ifndef PROTOSMITH_BYTES_H
#define PROTOSMITH_BYTES_H
#include <limits.h>
#include <stdint.h>
#include <node_api.h>

typedef struct { uint8_t *data; size_t length; } bytes_t;

/* Exactly `n` (at most 8) arguments of the call into argv; otherwise throws a TypeError naming `usage` and returns 0. */
static inline int get_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != n) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return 1;
}

/* A Uint8Array (or Buffer) argument; throws a TypeError and returns 0 for anything else. */
static inline int get_bytes(napi_env env, napi_value v, const char *what, bytes_t *out) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &buffer, &offset) != napi_ok || type != napi_uint8_array || length > INT_MAX) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  /* A zero-length view may have no backing memory; OpenSSL is never handed NULL with a length. */
  static uint8_t empty[1];
  out->data = length == 0 || data == NULL ? empty : (uint8_t *)data;
  out->length = length;
  return 1;
}

#endif
