/*
 * HMAC-SHA256 and HMAC-SHA384 for the `native` crypto provider's key schedule (runtime/crypto/native), on the
 * OpenSSL that node itself is linked with.
 *
 * Why it exists: a TLS 1.3 server handshake makes ~25 HMACs (HKDF-Extract, HKDF-Expand-Label, Finished). Through
 * node:crypto each is an Hmac object whose native half V8 must process as a weak handle at the next scavenge,
 * plus a digest Buffer with a backing store of its own to sweep; in a server on the node provider, weak handles
 * and backing-store sweeping were ~80% of every scavenge's pause (--trace-gc-nvp). Here one EVP_MAC context per
 * digest (per JavaScript environment: the main thread and each worker) is fetched once and keyed anew for every
 * call, and a call allocates nothing but OpenSSL's copy of the key.
 *
 * The key, the data and the result travel through a scratch buffer that the JavaScript wrapper made once: it
 * writes key || data at the start, calls hmac(scratch, algorithm, keyLength, dataLength), reads the result from
 * the scratch's last 64 bytes and wipes what it wrote. Handing the wrapper's small Uint8Arrays to N-API
 * instead would make V8 move each off the JavaScript heap (a backing store of its own, swept at the next GC).
 * Inputs that do not fit in the scratch, and empty keys, are the wrapper's to send elsewhere; here an empty key is
 * refused outright (OpenSSL's HMAC re-initialisation with no key keeps the previous key).
 */
#include <stdint.h>
#include <node_api.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "bytes.h"
#include "hmac.h"

/* Where the result goes: the last OUT_SPACE bytes of the scratch. */
#define OUT_SPACE 64

typedef struct {
  EVP_MAC *mac;
  EVP_MAC_CTX *ctx[2]; /* HMAC-SHA256, HMAC-SHA384 */
} hmac_state_t;

static const char *const DIGESTS[2] = {"SHA256", "SHA384"};
static const size_t SIZES[2] = {32, 48};

static void free_state(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  hmac_state_t *s = (hmac_state_t *)data;
  if (s == NULL) return;
  EVP_MAC_CTX_free(s->ctx[0]);
  EVP_MAC_CTX_free(s->ctx[1]);
  EVP_MAC_free(s->mac);
  OPENSSL_free(s);
}

/* This environment's state, made on first use; NULL (and a JavaScript exception) when OpenSSL cannot give it. */
static hmac_state_t *state_of(napi_env env) {
  void *data = NULL;
  if (napi_get_instance_data(env, &data) == napi_ok && data != NULL) return (hmac_state_t *)data;
  hmac_state_t *s = OPENSSL_zalloc(sizeof *s);
  if (s == NULL) { napi_throw_error(env, NULL, "protosmith hmac: out of memory"); return NULL; }
  s->mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
  for (int i = 0; i < 2 && s->mac != NULL; i++) {
    OSSL_PARAM params[2] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)DIGESTS[i], 0),
      OSSL_PARAM_construct_end(),
    };
    s->ctx[i] = EVP_MAC_CTX_new(s->mac);
    if (s->ctx[i] == NULL || EVP_MAC_CTX_set_params(s->ctx[i], params) != 1) {
      free_state(env, s, NULL);
      napi_throw_error(env, NULL, "protosmith hmac: OpenSSL could not set up HMAC");
      return NULL;
    }
  }
  if (s->mac == NULL) { free_state(env, s, NULL); napi_throw_error(env, NULL, "protosmith hmac: OpenSSL has no HMAC"); return NULL; }
  if (napi_set_instance_data(env, s, free_state, NULL) != napi_ok) {
    free_state(env, s, NULL);
    napi_throw_error(env, NULL, "protosmith hmac: N-API call failed");
    return NULL;
  }
  return s;
}

/*
 * hmac(scratch: Uint8Array, algorithm: 0 sha256 | 1 sha384, keyLength, dataLength) -> undefined
 * HMAC over scratch[keyLength .. keyLength + dataLength] keyed with scratch[0 .. keyLength], written to the
 * scratch's last 64 bytes (32 or 48 of them). RangeError when the lengths do not fit or the key is empty.
 */
static napi_value hmac(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv, "hmac(scratch, algorithm, keyLength, dataLength)")) return NULL;
  bytes_t scratch_bytes;
  if (!get_bytes(env, argv[0], "hmac: scratch must be a Uint8Array", &scratch_bytes)) return NULL;
  if (scratch_bytes.length < 2 * OUT_SPACE) { napi_throw_range_error(env, NULL, "hmac: scratch must be at least 128 bytes"); return NULL; }
  uint8_t *scratch = scratch_bytes.data;
  const size_t scratch_length = scratch_bytes.length;
  double alg, key_length, data_length;
  if (napi_get_value_double(env, argv[1], &alg) != napi_ok || napi_get_value_double(env, argv[2], &key_length) != napi_ok
      || napi_get_value_double(env, argv[3], &data_length) != napi_ok) {
    napi_throw_type_error(env, NULL, "hmac: algorithm and lengths must be numbers");
    return NULL;
  }
  const double room = (double)(scratch_length - OUT_SPACE);
  /* Ranges first (NaN fails them), so that the conversions below are defined. */
  if (!(alg == 0.0 || alg == 1.0)) { napi_throw_range_error(env, NULL, "hmac: unknown algorithm"); return NULL; }
  if (!(key_length >= 1.0 && key_length <= room && data_length >= 0.0 && data_length <= room)
      || (double)(size_t)key_length != key_length || (double)(size_t)data_length != data_length
      || key_length + data_length > room) {
    napi_throw_range_error(env, NULL, "hmac: key and data lengths must be integers, the key not empty, both within the scratch");
    return NULL;
  }
  hmac_state_t *s = state_of(env);
  if (s == NULL) return NULL;
  const int i = (int)alg;
  const size_t kl = (size_t)key_length, dl = (size_t)data_length;
  uint8_t *out = scratch + scratch_length - OUT_SPACE;
  size_t written = 0;
  if (EVP_MAC_init(s->ctx[i], scratch, kl, NULL) != 1
      || EVP_MAC_update(s->ctx[i], scratch + kl, dl) != 1
      || EVP_MAC_final(s->ctx[i], out, &written, OUT_SPACE) != 1
      || written != SIZES[i]) {
    OPENSSL_cleanse(out, OUT_SPACE);
    napi_throw_error(env, NULL, "hmac: OpenSSL failed");
    return NULL;
  }
  return NULL;
}

int protosmith_hmac_init(napi_env env, napi_value exports) {
  napi_value f;
  return napi_create_function(env, "hmac", NAPI_AUTO_LENGTH, hmac, NULL, &f) == napi_ok
    && napi_set_named_property(env, exports, "hmac", f) == napi_ok;
}
