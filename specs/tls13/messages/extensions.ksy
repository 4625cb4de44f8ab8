meta:
  id: extensions
  title: TLS 1.3 extensions (RFC 8446 §4.2 and the RFCs it cites)
  endian: be
  imports:
    - common
doc: |
  Extension extensions<0..2^16-1>;   (RFC 8446 §4.2)
  The file's own type is one extensions block (the vector's body, without its uint16 length, which the
  enclosing message carries). An extension's form depends on the message it appears in (the "CH, SH, EE,
  CT, CR, NST, HRR" column of the RFC 8446 §4.2 table), so every type whose form varies takes that message as
  the `msg_type` param. A HelloRetryRequest travels as a server_hello; the ServerHello spec passes
  `handshake_type::hello_retry_request` when its random is the HelloRetryRequest value.
  Any extension type not listed in `extension` below is kept as raw bytes.
params:
  - id: msg_type
    type: u1
    enum: common::handshake_type
seq:
  - id: items
    type: extension(msg_type)
    repeat: eos
types:
  extension:
    doc: 'struct { ExtensionType extension_type; opaque extension_data<0..2^16-1>; } Extension;   (RFC 8446 §4.2)'
    params:
      - id: msg_type
        type: u1
        enum: common::handshake_type
    seq:
      - id: extension_type
        type: u2
        enum: common::extension_type
      - id: extension_data_length
        type: u2
      - id: body
        size: extension_data_length
        type:
          switch-on: extension_type
          cases:
            'common::extension_type::server_name': server_name(msg_type)
            'common::extension_type::status_request': status_request(msg_type)
            'common::extension_type::supported_groups': supported_groups
            'common::extension_type::signature_algorithms': signature_algorithms
            'common::extension_type::signature_algorithms_cert': signature_algorithms
            'common::extension_type::application_layer_protocol_negotiation': application_layer_protocol_negotiation
            'common::extension_type::padding': padding
            'common::extension_type::record_size_limit': record_size_limit
            'common::extension_type::pre_shared_key': pre_shared_key(msg_type)
            'common::extension_type::early_data': early_data_indication(msg_type)
            'common::extension_type::supported_versions': supported_versions(msg_type)
            'common::extension_type::cookie': cookie
            'common::extension_type::psk_key_exchange_modes': psk_key_exchange_modes
            'common::extension_type::certificate_authorities': certificate_authorities
            'common::extension_type::post_handshake_auth': post_handshake_auth
            'common::extension_type::key_share': key_share(msg_type)
            'common::extension_type::renegotiation_info': renegotiation_info
            'common::extension_type::client_certificate_type': cert_type_extension(msg_type)
            'common::extension_type::server_certificate_type': cert_type_extension(msg_type)

  # --- server_name (RFC 6066 §3) ---------------------------------------------------------------------
  server_name:
    doc: |
      In a ClientHello: struct { ServerName server_name_list<1..2^16-1> } ServerNameList;   (RFC 6066 §3)
      In EncryptedExtensions (the server's acknowledgement) extension_data is empty.
    params:
      - id: msg_type
        type: u1
        enum: common::handshake_type
    seq:
      - id: server_name_list_length
        type: u2
        valid:
          min: 1
        if: msg_type == common::handshake_type::client_hello
      - id: server_name_list
        size: server_name_list_length
        type: server_name_list
        if: msg_type == common::handshake_type::client_hello
  server_name_list:
    seq:
      - id: items
        type: server_name_entry
        repeat: eos
  server_name_entry:
    doc: |
      struct { NameType name_type; select (name_type) { case host_name: HostName; } name; } ServerName;
      opaque HostName<1..2^16-1>;   (RFC 6066 §3)
      Every name type is read as a uint16-prefixed name (the only registered type is host_name), so an
      unknown name type still leaves the list parseable.
    seq:
      - id: name_type
        type: u1
        enum: common::server_name_type
      - id: host_name_length
        type: u2
        valid:
          min: 1
      - id: host_name
        size: host_name_length

  # --- status_request (RFC 6066 §8, RFC 8446 §4.4.2.1) ---------------------------------------------------
  status_request:
    doc: |
      ClientHello: CertificateStatusRequest { CertificateStatusType status_type; OCSPStatusRequest request; }
      (RFC 6066 §8). Certificate entry: CertificateStatus { status_type; OCSPResponse response; }
      (RFC 8446 §4.4.2.1, RFC 6066 §8). CertificateRequest: empty (the server asks for the client's OCSP).
    params:
      - id: msg_type
        type: u1
        enum: common::handshake_type
    seq:
      - id: status_type
        type: u1
        enum: common::certificate_status_type
        if: msg_type == common::handshake_type::client_hello or msg_type == common::handshake_type::certificate
      - id: request
        type: ocsp_status_request
        if: msg_type == common::handshake_type::client_hello and status_type == common::certificate_status_type::ocsp
      - id: response
        type: ocsp_response
        if: msg_type == common::handshake_type::certificate and status_type == common::certificate_status_type::ocsp
  ocsp_status_request:
    doc: |
      struct { ResponderID responder_id_list<0..2^16-1>; Extensions request_extensions; } OCSPStatusRequest;
      opaque ResponderID<1..2^16-1>; opaque Extensions<0..2^16-1>;   (RFC 6066 §8; Extensions is DER)
    seq:
      - id: responder_id_list_length
        type: u2
      - id: responder_id_list
        size: responder_id_list_length
        type: responder_id_list
      - id: request_extensions_length
        type: u2
      - id: request_extensions
        size: request_extensions_length
  responder_id_list:
    seq:
      - id: items
        type: responder_id
        repeat: eos
  responder_id:
    seq:
      - id: responder_id_length
        type: u2
        valid:
          min: 1
      - id: responder_id
        size: responder_id_length
  ocsp_response:
    doc: 'opaque OCSPResponse<1..2^24-1>;   (RFC 6066 §8) - DER, kept opaque'
    seq:
      - id: response_length
        type: b24
        valid:
          min: 1
      - id: response
        size: response_length

  # --- supported_groups, signature_algorithms(_cert) (RFC 8446 §4.2.7, §4.2.3) ---------------------------
  supported_groups:
    doc: 'struct { NamedGroup named_group_list<2..2^16-1>; } NamedGroupList;   (RFC 8446 §4.2.7)'
    seq:
      - id: named_group_list_length
        type: u2
        valid:
          min: 2
      - id: named_group_list
        size: named_group_list_length
        type: named_group_list
  named_group_list:
    seq:
      - id: items
        type: u2
        enum: common::named_group
        repeat: eos
  signature_algorithms:
    doc: |
      struct { SignatureScheme supported_signature_algorithms<2..2^16-2>; } SignatureSchemeList;
      (RFC 8446 §4.2.3) - the body of both signature_algorithms and signature_algorithms_cert.
    seq:
      - id: supported_signature_algorithms_length
        type: u2
        valid:
          min: 2
          max: 65534
      - id: supported_signature_algorithms
        size: supported_signature_algorithms_length
        type: signature_scheme_list
  signature_scheme_list:
    seq:
      - id: items
        type: u2
        enum: common::signature_scheme
        repeat: eos

  # --- application_layer_protocol_negotiation (RFC 7301 §3.1) -----------------------------------------------
  application_layer_protocol_negotiation:
    doc: |
      opaque ProtocolName<1..2^8-1>; struct { ProtocolName protocol_name_list<2..2^16-1> } ProtocolNameList;
      (RFC 7301 §3.1) - the server's reply carries exactly one name, in the same form.
    seq:
      - id: protocol_name_list_length
        type: u2
        valid:
          min: 2
      - id: protocol_name_list
        size: protocol_name_list_length
        type: protocol_name_list
  protocol_name_list:
    seq:
      - id: items
        type: protocol_name
        repeat: eos
  protocol_name:
    seq:
      - id: name_length
        type: u1
        valid:
          min: 1
      - id: name
        size: name_length

  # --- padding (RFC 7685 §3), record_size_limit (RFC 8449 §4), renegotiation_info (RFC 5746 §3.2) ---------
  padding:
    doc: 'The padding extension: extension_data of zero bytes (RFC 7685 §3); kept as its bytes.'
    seq:
      - id: padding
        size-eos: true
  record_size_limit:
    doc: 'uint16 RecordSizeLimit;   (RFC 8449 §4) - a value below 64 is illegal_parameter.'
    seq:
      - id: record_size_limit
        type: u2
        valid:
          min: 64
  renegotiation_info:
    doc: 'struct { opaque renegotiated_connection<0..255>; } RenegotiationInfo;   (RFC 5746 §3.2)'
    seq:
      - id: renegotiated_connection_length
        type: u1
      - id: renegotiated_connection
        size: renegotiated_connection_length

  # --- client_certificate_type, server_certificate_type (RFC 7250 §3, RFC 8446 §4.4.2) ----------------------
  cert_type_extension:
    doc: |
      ClientCertTypeExtension / ServerCertTypeExtension (RFC 7250 §3): in a ClientHello the list of types
      offered, CertificateType certificate_types<1..2^8-1>; in TLS 1.3 the server answers in
      EncryptedExtensions with the single type chosen (RFC 8446 §4.4.2; RawPublicKey = 2).
    params:
      - id: msg_type
        type: u1
        enum: common::handshake_type
    seq:
      - id: certificate_types_length
        type: u1
        valid:
          min: 1
        if: msg_type == common::handshake_type::client_hello
      - id: certificate_types
        size: certificate_types_length
        type: certificate_type_list
        if: msg_type == common::handshake_type::client_hello
      - id: certificate_type
        type: u1
        enum: common::certificate_type
        if: msg_type == common::handshake_type::encrypted_extensions
  certificate_type_list:
    seq:
      - id: items
        type: u1
        enum: common::certificate_type
        repeat: eos

  # --- pre_shared_key, early_data, psk_key_exchange_modes (RFC 8446 §4.2.11, §4.2.10, §4.2.9) --------------
  pre_shared_key:
    doc: |
      struct { select (Handshake.msg_type) { case client_hello: OfferedPsks;
                                             case server_hello: uint16 selected_identity; }; }
      PreSharedKeyExtension;   (RFC 8446 §4.2.11)
    params:
      - id: msg_type
        type: u1
        enum: common::handshake_type
    seq:
      - id: offered_psks
        type: offered_psks
        if: msg_type == common::handshake_type::client_hello
      - id: selected_identity
        type: u2
        if: msg_type == common::handshake_type::server_hello
  offered_psks:
    doc: 'struct { PskIdentity identities<7..2^16-1>; PskBinderEntry binders<33..2^16-1>; } OfferedPsks;'
    seq:
      - id: identities_length
        type: u2
        valid:
          min: 7
      - id: identities
        size: identities_length
        type: psk_identity_list
      - id: binders_length
        type: u2
        valid:
          min: 33
      - id: binders
        size: binders_length
        type: psk_binder_list
  psk_identity_list:
    seq:
      - id: items
        type: psk_identity
        repeat: eos
  psk_identity:
    doc: 'struct { opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age; } PskIdentity;'
    seq:
      - id: identity_length
        type: u2
        valid:
          min: 1
      - id: identity
        size: identity_length
      - id: obfuscated_ticket_age
        type: u4
  psk_binder_list:
    seq:
      - id: items
        type: psk_binder_entry
        repeat: eos
  psk_binder_entry:
    doc: 'opaque PskBinderEntry<32..255>;'
    seq:
      - id: binder_length
        type: u1
        valid:
          min: 32
      - id: binder
        size: binder_length
  early_data_indication:
    doc: |
      struct { select (Handshake.msg_type) { case new_session_ticket: uint32 max_early_data_size;
               case client_hello: Empty; case encrypted_extensions: Empty; }; } EarlyDataIndication;
      (RFC 8446 §4.2.10)
    params:
      - id: msg_type
        type: u1
        enum: common::handshake_type
    seq:
      - id: max_early_data_size
        type: u4
        if: msg_type == common::handshake_type::new_session_ticket
  psk_key_exchange_modes:
    doc: 'struct { PskKeyExchangeMode ke_modes<1..255>; } PskKeyExchangeModes;   (RFC 8446 §4.2.9)'
    seq:
      - id: ke_modes_length
        type: u1
        valid:
          min: 1
      - id: ke_modes
        size: ke_modes_length
        type: psk_key_exchange_mode_list
  psk_key_exchange_mode_list:
    seq:
      - id: items
        type: u1
        enum: common::psk_key_exchange_mode
        repeat: eos

  # --- supported_versions, cookie (RFC 8446 §4.2.1, §4.2.2) ---------------------------------------------
  supported_versions:
    doc: |
      struct { select (Handshake.msg_type) { case client_hello: ProtocolVersion versions<2..254>;
               case server_hello: (and HelloRetryRequest) ProtocolVersion selected_version; }; }
      SupportedVersions;   (RFC 8446 §4.2.1)
    params:
      - id: msg_type
        type: u1
        enum: common::handshake_type
    seq:
      - id: versions_length
        type: u1
        valid:
          min: 2
          max: 254
        if: msg_type == common::handshake_type::client_hello
      - id: versions
        size: versions_length
        type: protocol_version_list
        if: msg_type == common::handshake_type::client_hello
      - id: selected_version
        type: u2
        if: msg_type == common::handshake_type::server_hello or msg_type == common::handshake_type::hello_retry_request
  protocol_version_list:
    doc: 'ProtocolVersion is a uint16 (0x0304 = TLS 1.3); there is no IANA registry for it.'
    seq:
      - id: items
        type: u2
        repeat: eos
  cookie:
    doc: 'struct { opaque cookie<1..2^16-1>; } Cookie;   (RFC 8446 §4.2.2)'
    seq:
      - id: cookie_length
        type: u2
        valid:
          min: 1
      - id: cookie
        size: cookie_length

  # --- certificate_authorities, post_handshake_auth (RFC 8446 §4.2.4, §4.2.6) ---------------------------
  certificate_authorities:
    doc: |
      opaque DistinguishedName<1..2^16-1>;
      struct { DistinguishedName authorities<3..2^16-1>; } CertificateAuthoritiesExtension;   (RFC 8446 §4.2.4)
    seq:
      - id: authorities_length
        type: u2
        valid:
          min: 3
      - id: authorities
        size: authorities_length
        type: distinguished_name_list
  distinguished_name_list:
    seq:
      - id: items
        type: distinguished_name
        repeat: eos
  distinguished_name:
    seq:
      - id: name_length
        type: u2
        valid:
          min: 1
      - id: name
        size: name_length
  post_handshake_auth:
    doc: 'struct {} PostHandshakeAuth;   (RFC 8446 §4.2.6) - extension_data is empty.'
    seq: []

  # --- key_share (RFC 8446 §4.2.8) ---------------------------------------------------------------------
  key_share:
    doc: |
      KeyShareClientHello { KeyShareEntry client_shares<0..2^16-1>; }
      KeyShareHelloRetryRequest { NamedGroup selected_group; }
      KeyShareServerHello { KeyShareEntry server_share; }   (RFC 8446 §4.2.8)
    params:
      - id: msg_type
        type: u1
        enum: common::handshake_type
    seq:
      - id: client_shares_length
        type: u2
        if: msg_type == common::handshake_type::client_hello
      - id: client_shares
        size: client_shares_length
        type: key_share_entry_list
        if: msg_type == common::handshake_type::client_hello
      - id: server_share
        type: key_share_entry
        if: msg_type == common::handshake_type::server_hello
      - id: selected_group
        type: u2
        enum: common::named_group
        if: msg_type == common::handshake_type::hello_retry_request
  key_share_entry_list:
    seq:
      - id: items
        type: key_share_entry
        repeat: eos
  key_share_entry:
    doc: 'struct { NamedGroup group; opaque key_exchange<1..2^16-1>; } KeyShareEntry;'
    seq:
      - id: group
        type: u2
        enum: common::named_group
      - id: key_exchange_length
        type: u2
        valid:
          min: 1
      - id: key_exchange
        size: key_exchange_length
