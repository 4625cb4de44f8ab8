meta:
  id: common
  title: TLS 1.3 registries shared by every message spec
  endian: be
doc: |
  The TLS code points that the record, alert, handshake and extension specs share (RFC 8446 §4, §5, App. B).
  Every enum here is OPEN: an unknown value decodes to its number and re-encodes unchanged, so a peer that
  sends a code point registered after this file was written is not rejected by the codec (the engine decides).
  Names follow the IANA registries, lower-cased to fit Kaitai identifiers; `_reserved` marks code points the
  registry lists as RESERVED.
-iana:
  # Kaitai reads enum keys as integers, so each enum's IANA registry is cited here, keyed by enum name.
  content_type: https://www.iana.org/assignments/tls-parameters/tls-parameters.xhtml#tls-parameters-5
  alert_level: https://www.iana.org/assignments/tls-parameters/tls-parameters.xhtml#tls-parameters-6
  alert_description: https://www.iana.org/assignments/tls-parameters/tls-parameters.xhtml#tls-parameters-6
  handshake_type: https://www.iana.org/assignments/tls-parameters/tls-parameters.xhtml#tls-parameters-7
  extension_type: https://www.iana.org/assignments/tls-extensiontype-values/tls-extensiontype-values.xhtml#tls-extensiontype-values-1
  named_group: https://www.iana.org/assignments/tls-parameters/tls-parameters.xhtml#tls-parameters-8
  signature_scheme: https://www.iana.org/assignments/tls-parameters/tls-parameters.xhtml#tls-signaturescheme
  cipher_suite: https://www.iana.org/assignments/tls-parameters/tls-parameters.xhtml#tls-parameters-4
  psk_key_exchange_mode: https://www.iana.org/assignments/tls-parameters/tls-parameters.xhtml#tls-pskkeyexchangemode
  key_update_request: https://www.iana.org/assignments/tls-parameters/tls-parameters.xhtml
  certificate_type: https://www.iana.org/assignments/tls-extensiontype-values/tls-extensiontype-values.xhtml#tls-extensiontype-values-3
  certificate_status_type: https://www.iana.org/assignments/tls-parameters/tls-parameters.xhtml
  server_name_type: https://www.iana.org/assignments/tls-extensiontype-values/tls-extensiontype-values.xhtml
enums:
  content_type:
    0: invalid
    20: change_cipher_spec
    21: alert
    22: handshake
    23: application_data
    24: heartbeat
    25: tls12_cid
    26: ack
    27: return_routability_check
  alert_level:
    1: warning
    2: fatal
  alert_description:
    0: close_notify
    10: unexpected_message
    20: bad_record_mac
    21: decryption_failed_reserved
    22: record_overflow
    30: decompression_failure_reserved
    40: handshake_failure
    41: no_certificate_reserved
    42: bad_certificate
    43: unsupported_certificate
    44: certificate_revoked
    45: certificate_expired
    46: certificate_unknown
    47: illegal_parameter
    48: unknown_ca
    49: access_denied
    50: decode_error
    51: decrypt_error
    52: too_many_cids_requested
    60: export_restriction_reserved
    70: protocol_version
    71: insufficient_security
    80: internal_error
    86: inappropriate_fallback
    90: user_canceled
    100: no_renegotiation_reserved
    109: missing_extension
    110: unsupported_extension
    111: certificate_unobtainable_reserved
    112: unrecognized_name
    113: bad_certificate_status_response
    114: bad_certificate_hash_value_reserved
    115: unknown_psk_identity
    116: certificate_required
    117: general_error
    120: no_application_protocol
    121: ech_required
  handshake_type:
    0: hello_request_reserved
    1: client_hello
    2: server_hello
    3: hello_verify_request_reserved
    4: new_session_ticket
    5: end_of_early_data
    6:
      id: hello_retry_request
      doc: |
        RESERVED on the wire (IANA: hello_retry_request_RESERVED; a HelloRetryRequest travels as a server_hello).
        The specs use this value only as the message CONTEXT "HRR" of the RFC 8446 §4.2 table, passed to
        `extension(msg_type)` when a ServerHello carries the HelloRetryRequest random.
    8: encrypted_extensions
    9: request_connection_id
    10: new_connection_id
    11: certificate
    12: server_key_exchange_reserved
    13: certificate_request
    14: server_hello_done_reserved
    15: certificate_verify
    16: client_key_exchange_reserved
    17: client_certificate_request
    20: finished
    21: certificate_url_reserved
    22: certificate_status_reserved
    23: supplemental_data_reserved
    24: key_update
    25: compressed_certificate
    26: ekt_key
    254: message_hash
  extension_type:
    0: server_name
    1: max_fragment_length
    2: client_certificate_url
    3: trusted_ca_keys
    4: truncated_hmac
    5: status_request
    6: user_mapping
    7: client_authz
    8: server_authz
    9: cert_type
    10: supported_groups
    11: ec_point_formats
    12: srp
    13: signature_algorithms
    14: use_srtp
    15: heartbeat
    16: application_layer_protocol_negotiation
    17: status_request_v2
    18: signed_certificate_timestamp
    19: client_certificate_type
    20: server_certificate_type
    21: padding
    22: encrypt_then_mac
    23: extended_master_secret
    24: token_binding
    25: cached_info
    26: tls_lts
    27: compress_certificate
    28: record_size_limit
    29: pwd_protect
    30: pwd_clear
    31: password_salt
    32: ticket_pinning
    33: tls_cert_with_extern_psk
    34: delegated_credential
    35: session_ticket
    36: tlmsp
    37: tlmsp_proxying
    38: tlmsp_delegate
    39: supported_ekt_ciphers
    41: pre_shared_key
    42: early_data
    43: supported_versions
    44: cookie
    45: psk_key_exchange_modes
    47: certificate_authorities
    48: oid_filters
    49: post_handshake_auth
    50: signature_algorithms_cert
    51: key_share
    52: transparency_info
    53: connection_id_deprecated
    54: connection_id
    55: external_id_hash
    56: external_session_id
    57: quic_transport_parameters
    58: ticket_request
    59: dnssec_chain
    60: sequence_number_encryption_algorithms
    61: rrc
    0xfd00: ech_outer_extensions
    0xfe0d: encrypted_client_hello
    0xff01: renegotiation_info
  named_group:
    1: sect163k1
    2: sect163r1
    3: sect163r2
    4: sect193r1
    5: sect193r2
    6: sect233k1
    7: sect233r1
    8: sect239k1
    9: sect283k1
    10: sect283r1
    11: sect409k1
    12: sect409r1
    13: sect571k1
    14: sect571r1
    15: secp160k1
    16: secp160r1
    17: secp160r2
    18: secp192k1
    19: secp192r1
    20: secp224k1
    21: secp224r1
    22: secp256k1
    23: secp256r1
    24: secp384r1
    25: secp521r1
    26: brainpoolp256r1
    27: brainpoolp384r1
    28: brainpoolp512r1
    29: x25519
    30: x448
    31: brainpoolp256r1tls13
    32: brainpoolp384r1tls13
    33: brainpoolp512r1tls13
    256: ffdhe2048
    257: ffdhe3072
    258: ffdhe4096
    259: ffdhe6144
    260: ffdhe8192
    0x11eb: secp256r1mlkem768
    0x11ec: x25519mlkem768
    0x11ed: secp384r1mlkem1024
  signature_scheme:
    0x0201: rsa_pkcs1_sha1
    0x0203: ecdsa_sha1
    0x0401: rsa_pkcs1_sha256
    0x0403: ecdsa_secp256r1_sha256
    0x0501: rsa_pkcs1_sha384
    0x0503: ecdsa_secp384r1_sha384
    0x0601: rsa_pkcs1_sha512
    0x0603: ecdsa_secp521r1_sha512
    0x0804: rsa_pss_rsae_sha256
    0x0805: rsa_pss_rsae_sha384
    0x0806: rsa_pss_rsae_sha512
    0x0807: ed25519
    0x0808: ed448
    0x0809: rsa_pss_pss_sha256
    0x080a: rsa_pss_pss_sha384
    0x080b: rsa_pss_pss_sha512
    0x081a: ecdsa_brainpoolp256r1tls13_sha256
    0x081b: ecdsa_brainpoolp384r1tls13_sha384
    0x081c: ecdsa_brainpoolp512r1tls13_sha512
    0x0904: mldsa44
    0x0905: mldsa65
    0x0906: mldsa87
  cipher_suite:
    0x00ff: tls_empty_renegotiation_info_scsv
    0x1301: tls_aes_128_gcm_sha256
    0x1302: tls_aes_256_gcm_sha384
    0x1303: tls_chacha20_poly1305_sha256
    0x1304: tls_aes_128_ccm_sha256
    0x1305: tls_aes_128_ccm_8_sha256
    0x5600: tls_fallback_scsv
  psk_key_exchange_mode:
    0: psk_ke
    1: psk_dhe_ke
  key_update_request:
    0: update_not_requested
    1: update_requested
  certificate_type:
    0: x509
    1: openpgp_reserved
    2: raw_public_key
    3: ieee_1609_dot2
  certificate_status_type:
    1: ocsp
    2: ocsp_multi_reserved
  server_name_type:
    0: host_name
