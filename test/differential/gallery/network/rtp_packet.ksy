# After kaitai_struct_formats network/rtp_packet.ksy (Unlicense): the padding length is the packet's last
# byte, read by a pos instance at `_io.size - 1` when the P bit is set (decode-only then); the payload is what
# lies between the header and the padding.
meta:
  id: rtp_packet
  title: RTP (Real-time Transport Protocol)
  xref:
    rfc: 3550
  license: Unlicense
  endian: be
seq:
  - id: version
    type: b2
  - id: has_padding
    type: b1
  - id: has_extension
    type: b1
  - id: csrc_count
    type: b4
  - id: marker
    type: b1
  - id: payload_type
    type: b7
    enum: payload_type_enum
  - id: sequence_number
    type: u2
  - id: timestamp
    type: u4
  - id: ssrc
    type: u4
  - id: header_extension
    type: header_extention
    if: has_extension
  - id: data
    size: _io.size - _io.pos - len_padding
  - id: padding
    size: len_padding
instances:
  len_padding_if_exists:
    pos: _io.size - 1
    type: u1
    if: has_padding
  len_padding:
    value: 'has_padding ? len_padding_if_exists : 0'
types:
  header_extention:
    seq:
      - id: id
        type: u2
      - id: length
        type: u2
enums:
  payload_type_enum:
    0: pcmu
    3: gsm
    8: pama
    9: g722
    18: g729
    26: jpeg
    31: h261
    32: mpv
    33: mp2t
    34: h263
    96: mpeg_ps
