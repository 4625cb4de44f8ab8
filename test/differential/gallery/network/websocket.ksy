# After kaitai_struct_formats network/websocket.ksy (CC0-1.0): a message as its first frame and the frames
# that follow it up to the one with `fin` set; continuation frames read the message's opcode through
# `_root.initial_frame.header.opcode`.
meta:
  id: websocket
  title: WebSocket message
  xref:
    rfc: 6455
  license: CC0-1.0
  endian: be
seq:
  - id: initial_frame
    type: initial_frame
  - id: trailing_frames
    type: dataframe
    if: initial_frame.header.finished != true
    repeat: until
    repeat-until: _.header.finished
types:
  frame_header:
    seq:
      - id: finished
        -orig-id: fin
        type: b1
      - id: reserved
        -orig-id: 'rsv1, rsv2, rsv3'
        type: b3
      - id: opcode
        type: b4
        enum: opcode
      - id: is_masked
        type: b1
      - id: len_payload_primary
        type: b7
      - id: len_payload_extended_1
        type: u2
        if: len_payload_primary == 126
      - id: len_payload_extended_2
        type: u4
        if: len_payload_primary == 127
      - id: mask_key
        type: u4
        if: is_masked
    instances:
      len_payload:
        value: |
          len_payload_primary <= 125 ? len_payload_primary : (
            len_payload_primary == 126 ? len_payload_extended_1 : len_payload_extended_2
          )
  initial_frame:
    seq:
      - id: header
        type: frame_header
      - id: payload_bytes
        size: header.len_payload
        if: 'header.opcode != opcode::text'
      - id: payload_text
        size: header.len_payload
        type: str
        encoding: UTF-8
        if: 'header.opcode == opcode::text'
  dataframe:
    seq:
      - id: header
        type: frame_header
      - id: payload_bytes
        size: header.len_payload
        if: '_root.initial_frame.header.opcode != opcode::text'
      - id: payload_text
        size: header.len_payload
        type: str
        encoding: UTF-8
        if: '_root.initial_frame.header.opcode == opcode::text'
enums:
  opcode:
    0: continuation
    1: text
    2: binary
    8: close
    9: ping
    0xa: pong
