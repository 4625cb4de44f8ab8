/*
 * protosmith_aead: TLS 1.3 record AEADs (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305) on the OpenSSL that
 * node itself is linked with, for the `native` crypto provider (runtime/crypto/native).
 *
 * Why it exists: node:crypto cannot give a cipher context a new nonce, so every record costs a new context
 * (a key schedule and GHASH table), three JavaScript objects and a fresh output buffer. Here one EVP context
 * per key is keyed once; each record only sets its nonce (EVP_CipherInit_ex with no cipher and no key), and
 * the output goes into a buffer the caller gives. Beside them only HMAC (hmac.c, for the key schedule): no key
 * exchange, hashing or signatures.
 *
 * Every argument is checked here as well as in the TypeScript wrapper: a wrong type, a nonce that is not 12
 * bytes, a tag that is not 16, or an output range that does not fit throws a RangeError/TypeError and touches
 * no memory. The context is freed (and with it OpenSSL's copy of the key schedule, which it cleanses) when the
 * JavaScript key object is collected.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "bytes.h"
#include "hmac.h"

#define NONCE_LENGTH 12
#define TAG_LENGTH 16

#define CHECK(call)                                                         \
  do {                                                                      \
    if ((call) != napi_ok) {                                                \
      napi_throw_error(env, NULL, "protosmith_aead: N-API call failed");    \
      return NULL;                                                          \
    }                                                                       \
  } while (0)

static EVP_CIPHER_CTX *get_context(napi_env env, napi_value v) {
  napi_valuetype t;
  void *ctx = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &ctx) != napi_ok || ctx == NULL) {
    napi_throw_type_error(env, NULL, "protosmith_aead: not a context made by create()");
    return NULL;
  }
  return (EVP_CIPHER_CTX *)ctx;
}

static void free_context(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  EVP_CIPHER_CTX_free((EVP_CIPHER_CTX *)data);
}

/* create(algorithm: 0 aes-128-gcm | 1 aes-256-gcm | 2 chacha20-poly1305, key: Uint8Array) -> context */
static napi_value create(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv, "create(algorithm, key)")) return NULL;
  uint32_t alg;
  if (napi_get_value_uint32(env, argv[0], &alg) != napi_ok || alg > 2) { napi_throw_range_error(env, NULL, "create: unknown algorithm"); return NULL; }
  bytes_t key;
  if (!get_bytes(env, argv[1], "create: key must be a Uint8Array", &key)) return NULL;
  const EVP_CIPHER *cipher = alg == 0 ? EVP_aes_128_gcm() : alg == 1 ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
  if (cipher == NULL || (size_t)EVP_CIPHER_get_key_length(cipher) != key.length) { napi_throw_range_error(env, NULL, "create: wrong key length for the algorithm"); return NULL; }
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx == NULL
      || EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, 1) != 1
      || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, NONCE_LENGTH, NULL) != 1
      || EVP_CipherInit_ex(ctx, NULL, NULL, key.data, NULL, 1) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    napi_throw_error(env, NULL, "create: OpenSSL could not set up the cipher");
    return NULL;
  }
  napi_value external;
  if (napi_create_external(env, ctx, free_context, NULL, &external) != napi_ok) {
    EVP_CIPHER_CTX_free(ctx);
    napi_throw_error(env, NULL, "create: N-API call failed");
    return NULL;
  }
  return external;
}

/*
 * seal(context, nonce, aad, parts: Uint8Array[], out, offset) -> undefined
 * Writes ciphertext(parts joined) || tag into out[offset ..]; throws RangeError when it does not fit.
 */
static napi_value seal(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!get_args(env, info, 6, argv, "seal(context, nonce, aad, parts, out, offset)")) return NULL;
  EVP_CIPHER_CTX *ctx = get_context(env, argv[0]);
  if (ctx == NULL) return NULL;
  bytes_t nonce, aad, out;
  if (!get_bytes(env, argv[1], "seal: nonce must be a Uint8Array", &nonce)
      || !get_bytes(env, argv[2], "seal: aad must be a Uint8Array", &aad)
      || !get_bytes(env, argv[4], "seal: out must be a Uint8Array", &out)) return NULL;
  if (nonce.length != NONCE_LENGTH) { napi_throw_range_error(env, NULL, "seal: the nonce must be 12 bytes"); return NULL; }
  bool is_array = false;
  uint32_t count = 0;
  if (napi_is_array(env, argv[3], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[3], &count) != napi_ok || count > 64) {
    napi_throw_type_error(env, NULL, "seal: parts must be an array of at most 64 Uint8Arrays");
    return NULL;
  }
  bytes_t parts[64];
  size_t total = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    CHECK(napi_get_element(env, argv[3], i, &element));
    if (!get_bytes(env, element, "seal: every part must be a Uint8Array", &parts[i])) return NULL;
    total += parts[i].length;
    if (total > INT_MAX) { napi_throw_range_error(env, NULL, "seal: plaintext too long"); return NULL; }
  }
  double offset_d;
  /* Range first (NaN fails it), so that the conversion below is defined. */
  if (napi_get_value_double(env, argv[5], &offset_d) != napi_ok || !(offset_d >= 0.0 && offset_d <= (double)INT_MAX)
      || (double)(size_t)offset_d != offset_d) {
    napi_throw_range_error(env, NULL, "seal: offset must be a non-negative integer");
    return NULL;
  }
  size_t offset = (size_t)offset_d;
  if (offset > out.length || out.length - offset < total + TAG_LENGTH) { napi_throw_range_error(env, NULL, "seal: ciphertext and tag do not fit in out at offset"); return NULL; }
  /* An output range that overlaps a part would be read after being written: refused. */
  for (uint32_t i = 0; i < count; i++) {
    uintptr_t a = (uintptr_t)parts[i].data, b = (uintptr_t)(out.data + offset);
    if (parts[i].length > 0 && a < b + total + TAG_LENGTH && b < a + parts[i].length) { napi_throw_range_error(env, NULL, "seal: out overlaps the plaintext"); return NULL; }
  }
  int n = 0;
  uint8_t *p = out.data + offset;
  if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce.data, 1) != 1
      || (aad.length > 0 && EVP_EncryptUpdate(ctx, NULL, &n, aad.data, (int)aad.length) != 1)) goto fail;
  for (uint32_t i = 0; i < count; i++) {
    if (parts[i].length == 0) continue;
    if (EVP_EncryptUpdate(ctx, p, &n, parts[i].data, (int)parts[i].length) != 1) goto fail;
    p += n;
  }
  if (EVP_EncryptFinal_ex(ctx, p, &n) != 1) goto fail;
  p += n;
  if ((size_t)(p - (out.data + offset)) != total || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LENGTH, p) != 1) goto fail;
  return NULL;
fail:
  OPENSSL_cleanse(out.data + offset, total + TAG_LENGTH);
  napi_throw_error(env, NULL, "seal: OpenSSL failed");
  return NULL;
}

/*
 * open(context, nonce, aad, ciphertext, tag, out) -> boolean
 * Decrypts ciphertext into out[0 .. ciphertext.length] and checks the tag; false (out wiped) when it does not verify.
 */
static napi_value open_(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!get_args(env, info, 6, argv, "open(context, nonce, aad, ciphertext, tag, out)")) return NULL;
  EVP_CIPHER_CTX *ctx = get_context(env, argv[0]);
  if (ctx == NULL) return NULL;
  bytes_t nonce, aad, ct, tag, out;
  if (!get_bytes(env, argv[1], "open: nonce must be a Uint8Array", &nonce)
      || !get_bytes(env, argv[2], "open: aad must be a Uint8Array", &aad)
      || !get_bytes(env, argv[3], "open: ciphertext must be a Uint8Array", &ct)
      || !get_bytes(env, argv[4], "open: tag must be a Uint8Array", &tag)
      || !get_bytes(env, argv[5], "open: out must be a Uint8Array", &out)) return NULL;
  if (nonce.length != NONCE_LENGTH) { napi_throw_range_error(env, NULL, "open: the nonce must be 12 bytes"); return NULL; }
  if (tag.length != TAG_LENGTH) { napi_throw_range_error(env, NULL, "open: the tag must be 16 bytes"); return NULL; }
  if (out.length < ct.length) { napi_throw_range_error(env, NULL, "open: out is shorter than the ciphertext"); return NULL; }
  uintptr_t o = (uintptr_t)out.data, c = (uintptr_t)ct.data;
  if (ct.length > 0 && o < c + ct.length && c < o + ct.length && o != c) { napi_throw_range_error(env, NULL, "open: out partly overlaps the ciphertext"); return NULL; }
  int n = 0, m = 0, ok;
  ok = EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce.data, 0) == 1
    && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LENGTH, tag.data) == 1
    && (aad.length == 0 || EVP_DecryptUpdate(ctx, NULL, &n, aad.data, (int)aad.length) == 1)
    && (ct.length == 0 || EVP_DecryptUpdate(ctx, out.data, &n, ct.data, (int)ct.length) == 1);
  if (ok) {
    if (ct.length == 0) n = 0;
    ok = EVP_DecryptFinal_ex(ctx, out.data + n, &m) == 1 && (size_t)(n + m) == ct.length;
  }
  if (!ok) OPENSSL_cleanse(out.data, ct.length);
  napi_value result;
  CHECK(napi_get_boolean(env, ok != 0, &result));
  return result;
}

NAPI_MODULE_INIT() {
  napi_value f;
  if (napi_create_function(env, "create", NAPI_AUTO_LENGTH, create, NULL, &f) != napi_ok || napi_set_named_property(env, exports, "create", f) != napi_ok) return NULL;
  if (napi_create_function(env, "seal", NAPI_AUTO_LENGTH, seal, NULL, &f) != napi_ok || napi_set_named_property(env, exports, "seal", f) != napi_ok) return NULL;
  if (napi_create_function(env, "open", NAPI_AUTO_LENGTH, open_, NULL, &f) != napi_ok || napi_set_named_property(env, exports, "open", f) != napi_ok) return NULL;
  if (!protosmith_hmac_init(env, exports)) return NULL;
  return exports;
}
