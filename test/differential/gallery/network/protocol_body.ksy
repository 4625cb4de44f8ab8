# After kaitai_struct_formats network/protocol_body.ksy (CC0-1.0): an IP payload chosen by its protocol number
# (a param), with IPv6 hop-by-hop options chaining to the next header. Imported by ipv6_packet (which it
# imports back).
meta:
  id: protocol_body
  license: CC0-1.0
  imports:
    - /network/tcp_segment
    - /network/icmp_packet
    - /network/udp_datagram
    - /network/ipv4_packet
    - /network/ipv6_packet
params:
  - id: protocol_num
    type: u1
instances:
  protocol:
    value: protocol_num
    enum: protocol_enum
seq:
  - id: body
    type:
      switch-on: protocol
      cases:
        'protocol_enum::hopopt': option_hop_by_hop
        'protocol_enum::tcp': tcp_segment
        'protocol_enum::icmp': icmp_packet
        'protocol_enum::udp': udp_datagram
        'protocol_enum::ipv4': ipv4_packet
        'protocol_enum::ipv6': ipv6_packet
        'protocol_enum::ipv6_nonxt': no_next_header
types:
  no_next_header: {}
  option_hop_by_hop:
    seq:
      - id: next_header_type
        type: u1
      - id: hdr_ext_len
        type: u1
      - id: body
        size: hdr_ext_len - 1
      - id: next_header
        type: protocol_body(next_header_type)
enums:
  protocol_enum:
    0: hopopt
    1: icmp
    2: igmp
    4: ipv4
    6: tcp
    17: udp
    41: ipv6
    43: ipv6_route
    44: ipv6_frag
    58: ipv6_icmp
    59: ipv6_nonxt
    60: ipv6_opts
    255: reserved_255
