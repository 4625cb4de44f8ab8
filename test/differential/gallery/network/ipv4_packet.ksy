# After kaitai_struct_formats network/ipv4_packet.ksy (CC0-1.0): value instances for the header fields
# packed into bytes, and a body switched on the protocol number (unknown protocols stay raw bytes).
meta:
  id: ipv4_packet
  title: IPv4 network packet
  license: CC0-1.0
  imports:
    - /network/tcp_segment
    - /network/icmp_packet
    - /network/udp_datagram
seq:
  - id: b1
    type: u1
  - id: b2
    type: u1
  - id: total_length
    type: u2be
  - id: identification
    type: u2be
  - id: flags
    type: u2be
  - id: ttl
    type: u1
  - id: protocol
    type: u1
    enum: protocol_enum
  - id: header_checksum
    type: u2be
  - id: src_ip_addr
    size: 4
  - id: dst_ip_addr
    size: 4
  - id: options
    type: ipv4_options
    size: ihl_bytes - 20
  - id: body
    size: total_length - ihl_bytes
    type:
      switch-on: protocol
      cases:
        'protocol_enum::tcp': tcp_segment
        'protocol_enum::icmp': icmp_packet
        'protocol_enum::udp': udp_datagram
enums:
  protocol_enum:
    # https://www.iana.org/assignments/protocol-numbers/protocol-numbers.xhtml
    0: hopopt
    1: icmp
    2: igmp
    6: tcp
    17: udp
    41: ipv6
    47: gre
    50: esp
    51: ah
    58: ipv6_icmp
    132: sctp
instances:
  version:
    value: (b1 & 0xf0) >> 4
  ihl:
    value: b1 & 0xf
  ihl_bytes:
    value: ihl * 4
types:
  ipv4_options:
    seq:
      - id: entries
        type: ipv4_option
        repeat: eos
  ipv4_option:
    seq:
      - id: b1
        type: u1
      - id: len
        type: u1
      - id: body
        size: 'len > 2 ? len - 2 : 0'
    instances:
      copy:
        value: (b1 & 0b10000000) >> 7
      opt_class:
        value: (b1 & 0b01100000) >> 5
      number:
        value: (b1 & 0b00011111)
