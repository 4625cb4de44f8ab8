# After kaitai_struct_formats network/some_ip/some_ip.ksy (CC0-1.0): the message and request IDs are also
# read whole as pos instances (`pos: 0`, type u4) in their own 4-byte substreams; a service-discovery
# payload is chosen by the message ID's value. Decode-only.
meta:
  id: some_ip
  title: AUTOSAR SOME/IP
  license: CC0-1.0
  endian: be
  imports:
    - /network/some_ip_sd
seq:
  - id: header
    type: header
  - id: payload
    size: header.length - 8
    type:
      switch-on: header.message_id.value
      cases:
        0xffff8100: some_ip_sd
types:
  header:
    seq:
      - id: message_id
        type: message_id
        size: 4
      - id: length
        type: u4
        doc: bytes from request_id to the end of the payload
      - id: request_id
        type: request_id
        size: 4
      - id: protocol_version
        type: u1
      - id: interface_version
        type: u1
      - id: message_type
        type: u1
        enum: message_type_enum
      - id: return_code
        type: u1
        enum: return_code_enum
    types:
      message_id:
        seq:
          - id: service_id
            type: u2
          - id: sub_id
            type: b1
          - id: method_id
            type: b15
            if: sub_id == false
          - id: event_id
            type: b15
            if: sub_id == true
        instances:
          value:
            pos: 0
            type: u4
            doc: the whole message ID
      request_id:
        seq:
          - id: client_id
            type: u2
          - id: session_id
            type: u2
        instances:
          value:
            pos: 0
            type: u4
            doc: the whole request ID
    instances:
      is_valid_service_discovery:
        value: message_id.value == 0xffff8100 and protocol_version == 0x01 and interface_version == 0x01 and message_type == message_type_enum::notification and return_code == return_code_enum::ok
    enums:
      message_type_enum:
        0x00: request
        0x01: request_no_return
        0x02: notification
        0x40: request_ack
        0x41: request_no_return_ack
        0x42: notification_ack
        0x80: response
        0x81: error
        0xc0: response_ack
        0xc1: error_ack
      return_code_enum:
        0x00: ok
        0x01: not_ok
        0x02: unknown_service
        0x03: unknown_method
        0x04: not_ready
        0x05: not_reachable
        0x06: time_out
        0x07: wrong_protocol_version
        0x08: wrong_interface_version
        0x09: malformed_message
        0x0a: wrong_message_type
