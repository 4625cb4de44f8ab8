meta:
  id: record
  title: TLS 1.3 record layer (RFC 8446 §5)
  endian: be
  imports:
    - common
    - alert
doc: |
  The record layer structures of RFC 8446 §5.1 and §5.2. The file's own type is a run of records as they
  arrive on the wire before any key is installed (a flight of plaintext records); each record in it is a
  `tls_plaintext`. Protected records are described by `tls_ciphertext`, their decrypted payload by
  `tls_inner_plaintext`.
seq:
  - id: records
    type: tls_plaintext
    repeat: eos
types:
  tls_plaintext:
    doc: |
      struct { ContentType type; ProtocolVersion legacy_record_version; uint16 length;
               opaque fragment[TLSPlaintext.length]; } TLSPlaintext;   (RFC 8446 §5.1)
      A handshake fragment stays opaque: handshake messages may be split across, or coalesced into, records.
    seq:
      - id: type
        type: u1
        enum: common::content_type
      - id: legacy_record_version
        type: u2
        doc: |
          0x0303, or 0x0301 in an initial ClientHello; "MUST be ignored for all purposes" (RFC 8446 §5.1),
          so it is not validated.
      - id: length
        type: u2
        valid:
          max: 16640
          -alert: record_overflow
        doc: |
          At most 2^14 for a plaintext record, 2^14 + 256 for a protected one (RFC 8446 §5.1, §5.2). The
          bound here is the larger, so that a run of records carrying application_data still decodes; the
          record layer enforces 2^14 for unprotected content types (record_overflow).
      - id: fragment
        size: length
        type:
          switch-on: type
          cases:
            'common::content_type::alert': alert
            'common::content_type::change_cipher_spec': change_cipher_spec
  change_cipher_spec:
    doc: |
      The compatibility-mode ChangeCipherSpec record (RFC 8446 §5, App. D.4): a single byte 0x01.
    seq:
      - id: value
        type: u1
        valid:
          eq: 1
  tls_ciphertext:
    doc: |
      struct { ContentType opaque_type = application_data; ProtocolVersion legacy_record_version = 0x0303;
               uint16 length; opaque encrypted_record[TLSCiphertext.length]; } TLSCiphertext;   (RFC 8446 §5.2)
    seq:
      - id: opaque_type
        type: u1
        enum: common::content_type
        valid:
          eq: common::content_type::application_data
      - id: legacy_record_version
        type: u2
        valid:
          eq: 0x0303
      - id: length
        type: u2
        valid:
          max: 16640
          -alert: record_overflow
        doc: '"The length MUST NOT exceed 2^14 + 256 bytes" (RFC 8446 §5.2): record_overflow.'
      - id: encrypted_record
        size: length
  tls_inner_plaintext:
    doc: |
      struct { opaque content[TLSPlaintext.length]; ContentType type; uint8 zeros[length_of_padding]; }
      TLSInnerPlaintext;   (RFC 8446 §5.2, §5.4)
      The content length is found by scanning back from the end for the last non-zero byte, which a
      front-to-back grammar cannot express: the record layer scans and passes it as `content_length`.
    params:
      - id: content_length
        type: u2
    seq:
      - id: content
        size: content_length
      - id: type
        type: u1
        enum: common::content_type
      - id: zeros
        type: u1
        repeat: eos
        valid:
          eq: 0
        doc: Padding; every byte is zero, or the scan above would have stopped on it (RFC 8446 §5.4).
