# After kaitai_struct_formats network/udp_datagram.ksy (CC0-1.0).
meta:
  id: udp_datagram
  title: UDP (User Datagram Protocol) datagram
  license: CC0-1.0
  endian: be
seq:
  - id: src_port
    type: u2
  - id: dst_port
    type: u2
  - id: length
    type: u2
  - id: checksum
    type: u2
  - id: body
    size-eos: true
