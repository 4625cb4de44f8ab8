# After kaitai_struct_formats network/tcp_segment.ksy (CC0-1.0).
meta:
  id: tcp_segment
  title: TCP segment
  license: CC0-1.0
  endian: be
seq:
  - id: src_port
    type: u2
  - id: dst_port
    type: u2
  - id: seq_num
    type: u4
  - id: ack_num
    type: u4
  - id: header_length
    type: b4
    doc: Data offset, in 32-bit words.
  - id: flags
    type: b12
    doc: Reserved bits, then NS, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN.
  - id: window_size
    type: u2
  - id: checksum
    type: u2
  - id: urgent_pointer
    type: u2
  - id: body
    size-eos: true
