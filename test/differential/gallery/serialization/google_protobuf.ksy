meta:
  id: google_protobuf
  title: Google Protocol Buffers (protobuf)
  xref:
    justsolve: Protobuf
    wikidata: Q1645574
  license: MIT
  ks-version: 0.7
  imports:
    - /common/vlq_base128_le
doc: |
  Adapted from kaitai_struct_formats serialization/google_protobuf.ksy (MIT), see ../README.md.
  Google Protocol Buffers (AKA protobuf) is a popular data
  serialization scheme used for communication protocols, data storage, etc.
doc-ref: https://developers.google.com/protocol-buffers/docs/encoding
seq:
  - id: pairs
    type: pair
    repeat: eos
    doc: Key-value pairs which constitute a message
types:
  pair:
    doc: Key-value pair
    seq:
      - id: key
        type: vlq_base128_le
      - id: value
        type:
          switch-on: wire_type
          cases:
            'wire_types::varint': vlq_base128_le
            'wire_types::len_delimited': delimited_bytes
            'wire_types::bit_64': u8le
            'wire_types::bit_32': u4le
    instances:
      wire_type:
        value: 'key.value & 0b111'
        enum: wire_types
      field_tag:
        value: 'key.value >> 3'
    enums:
      wire_types:
        0: varint
        1: bit_64
        2: len_delimited
        3: group_start
        4: group_end
        5: bit_32
  delimited_bytes:
    seq:
      - id: len
        type: vlq_base128_le
      - id: body
        size: len.value
