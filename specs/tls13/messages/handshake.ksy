meta:
  id: handshake
  title: TLS 1.3 handshake messages (RFC 8446 §4)
  endian: be
  imports:
    - common
    - extensions
doc: |
  struct { HandshakeType msg_type; uint24 length; select (Handshake.msg_type) { ... }; } Handshake;
  (RFC 8446 §4). The file's own type is one handshake message with its 4-byte header; the body types
  below are the messages themselves. A msg_type without a case here keeps its body as raw bytes.
seq:
  - id: msg_type
    type: u1
    enum: common::handshake_type
  - id: length
    type: b24
  - id: body
    size: length
    type:
      switch-on: msg_type
      cases:
        'common::handshake_type::client_hello': client_hello
        'common::handshake_type::server_hello': server_hello
        'common::handshake_type::end_of_early_data': end_of_early_data
        'common::handshake_type::encrypted_extensions': encrypted_extensions
        'common::handshake_type::certificate_request': certificate_request
        'common::handshake_type::certificate': certificate
        'common::handshake_type::certificate_verify': certificate_verify
        'common::handshake_type::finished': finished
        'common::handshake_type::new_session_ticket': new_session_ticket
        'common::handshake_type::key_update': key_update
        'common::handshake_type::message_hash': message_hash
types:
  client_hello:
    doc: |
      struct { ProtocolVersion legacy_version = 0x0303; Random random; opaque legacy_session_id<0..32>;
               CipherSuite cipher_suites<2..2^16-2>; opaque legacy_compression_methods<1..2^8-1>;
               Extension extensions<8..2^16-1>; } ClientHello;   (RFC 8446 §4.1.2)
    seq:
      - id: legacy_version
        type: u2
        valid:
          min: 0x0303
          -alert: protocol_version
        doc: |
          0x0303 (TLS 1.2) from a TLS 1.3 client; the real versions are in supported_versions (RFC 8446 §4.1.2).
          A higher value must still be read ("even if ClientHello.legacy_version is 0x0304 or later", §4.2.1);
          a lower one is a pre-TLS 1.2 client, answered with protocol_version (§4.2.1, App. D).
      - id: random
        size: 32
      - id: legacy_session_id_length
        type: u1
        valid:
          max: 32
      - id: legacy_session_id
        size: legacy_session_id_length
      - id: cipher_suites_length
        type: u2
        valid:
          min: 2
          max: 65534
      - id: cipher_suites
        size: cipher_suites_length
        type: cipher_suite_list
      - id: legacy_compression_methods_length
        type: u1
        valid:
          min: 1
      - id: legacy_compression_methods
        size: legacy_compression_methods_length
        doc: 'Exactly one zero byte in a TLS 1.3 ClientHello (else illegal_parameter, checked by the engine).'
      - id: extensions_length
        type: u2
        if: not _io.eof
        valid:
          min: 8
          -alert: protocol_version
        doc: |
          Absent only in a pre-TLS 1.3 ClientHello (RFC 5246 §7.4.1.2 lets a TLS 1.2 client omit the block); the
          server must then answer protocol_version, not decode_error (RFC 8446 §4.2.1, App. D), so the field is
          optional here and the engine refuses its absence by version. A block too short to hold
          supported_versions is a TLS 1.2 (or older) ClientHello as well: protocol_version (RFC 8446 App. D.2).
      - id: extensions
        size: extensions_length
        type: extensions(common::handshake_type::client_hello)
        if: not _io.eof
  cipher_suite_list:
    seq:
      - id: items
        type: u2
        enum: common::cipher_suite
        repeat: eos
  server_hello:
    doc: |
      struct { ProtocolVersion legacy_version = 0x0303; Random random; opaque legacy_session_id_echo<0..32>;
               CipherSuite cipher_suite; uint8 legacy_compression_method = 0; Extension extensions<6..2^16-1>;
      } ServerHello;   (RFC 8446 §4.1.3)
      A HelloRetryRequest is a ServerHello whose random is SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3);
      its extensions are then read in the HelloRetryRequest form (key_share = selected_group).
    seq:
      - id: legacy_version
        type: u2
        valid:
          eq: 0x0303
          -alert: protocol_version
      - id: random
        size: 32
      - id: legacy_session_id_echo_length
        type: u1
        valid:
          max: 32
      - id: legacy_session_id_echo
        size: legacy_session_id_echo_length
      - id: cipher_suite
        type: u2
        enum: common::cipher_suite
      - id: legacy_compression_method
        type: u1
        valid:
          eq: 0
      - id: extensions_length
        type: u2
        if: not _io.eof
        valid:
          min: 6
          -alert: protocol_version
        doc: |
          A TLS 1.3 ServerHello always carries supported_versions (6 bytes at least). A TLS 1.2 (or older)
          ServerHello may omit the block or carry a shorter one (RFC 5246 §7.4.1.3): the client answers
          protocol_version (RFC 8446 App. D.1), so the field is optional here and the engine refuses its absence.
      - id: extensions
        size: extensions_length
        if: not _io.eof
        type: 'extensions(random == [0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c] ? common::handshake_type::hello_retry_request : common::handshake_type::server_hello)'
  end_of_early_data:
    doc: 'struct {} EndOfEarlyData;   (RFC 8446 §4.5)'
    seq: []
  encrypted_extensions:
    doc: 'struct { Extension extensions<0..2^16-1>; } EncryptedExtensions;   (RFC 8446 §4.3.1)'
    seq:
      - id: extensions_length
        type: u2
      - id: extensions
        size: extensions_length
        type: extensions(common::handshake_type::encrypted_extensions)
  certificate_request:
    doc: |
      struct { opaque certificate_request_context<0..2^8-1>; Extension extensions<2..2^16-1>; }
      CertificateRequest;   (RFC 8446 §4.3.2)
    seq:
      - id: certificate_request_context_length
        type: u1
      - id: certificate_request_context
        size: certificate_request_context_length
      - id: extensions_length
        type: u2
        valid:
          min: 2
      - id: extensions
        size: extensions_length
        type: extensions(common::handshake_type::certificate_request)
  certificate:
    doc: |
      struct { opaque certificate_request_context<0..2^8-1>; CertificateEntry certificate_list<0..2^24-1>; }
      Certificate;   (RFC 8446 §4.4.2)
    seq:
      - id: certificate_request_context_length
        type: u1
      - id: certificate_request_context
        size: certificate_request_context_length
      - id: certificate_list_length
        type: b24
      - id: certificate_list
        size: certificate_list_length
        type: certificate_entry_list
  certificate_entry_list:
    seq:
      - id: items
        type: certificate_entry
        repeat: eos
  certificate_entry:
    doc: |
      struct { select (certificate_type) { case RawPublicKey: opaque ASN1_subjectPublicKeyInfo<1..2^24-1>;
               case X509: opaque cert_data<1..2^24-1>; }; Extension extensions<0..2^16-1>; } CertificateEntry;
      (RFC 8446 §4.4.2) - both forms are a uint24-prefixed opaque, kept as `cert_data`.
    seq:
      - id: cert_data_length
        type: b24
        valid:
          min: 1
      - id: cert_data
        size: cert_data_length
      - id: extensions_length
        type: u2
      - id: extensions
        size: extensions_length
        type: extensions(common::handshake_type::certificate)
  certificate_verify:
    doc: 'struct { SignatureScheme algorithm; opaque signature<0..2^16-1>; } CertificateVerify;   (RFC 8446 §4.4.3)'
    seq:
      - id: algorithm
        type: u2
        enum: common::signature_scheme
      - id: signature_length
        type: u2
      - id: signature
        size: signature_length
  finished:
    doc: |
      struct { opaque verify_data[Hash.length]; } Finished;   (RFC 8446 §4.4.4)
      The hash length is the negotiated suite's, so verify_data is the whole body; the engine checks its size.
    seq:
      - id: verify_data
        size-eos: true
  new_session_ticket:
    doc: |
      struct { uint32 ticket_lifetime; uint32 ticket_age_add; opaque ticket_nonce<0..255>;
               opaque ticket<1..2^16-1>; Extension extensions<0..2^16-2>; } NewSessionTicket;   (RFC 8446 §4.6.1)
    seq:
      - id: ticket_lifetime
        type: u4
        doc: Seconds; servers MUST NOT use a value above 604800 (7 days). Enforced by the engine, not the codec.
      - id: ticket_age_add
        type: u4
      - id: ticket_nonce_length
        type: u1
      - id: ticket_nonce
        size: ticket_nonce_length
      - id: ticket_length
        type: u2
        valid:
          min: 1
      - id: ticket
        size: ticket_length
      - id: extensions_length
        type: u2
        valid:
          max: 65534
      - id: extensions
        size: extensions_length
        type: extensions(common::handshake_type::new_session_ticket)
  key_update:
    doc: 'struct { KeyUpdateRequest request_update; } KeyUpdate;   (RFC 8446 §4.6.3)'
    seq:
      - id: request_update
        type: u1
        enum: common::key_update_request
        valid:
          any-of:
            - common::key_update_request::update_not_requested
            - common::key_update_request::update_requested
        doc: Any other value is illegal_parameter (RFC 8446 §4.6.3).
  message_hash:
    doc: |
      The synthetic message that replaces ClientHello1 in the transcript after a HelloRetryRequest:
      Handshake { msg_type = message_hash; length = Hash.length; body = Hash(ClientHello1) }   (RFC 8446 §4.4.1)
    seq:
      - id: hash
        size-eos: true
