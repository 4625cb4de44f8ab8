# After kaitai_struct_formats network/pcap.ksy (CC0-1.0): the little-endian classic pcap file header and
# its records, each read as an Ethernet frame (link type 1).
meta:
  id: pcap_lite
  title: PCAP (little-endian, Ethernet link type)
  license: CC0-1.0
  endian: le
  imports:
    - /network/ethernet_frame
seq:
  - id: magic_number
    contents: [0xd4, 0xc3, 0xb2, 0xa1]
  - id: version_major
    type: u2
  - id: version_minor
    type: u2
  - id: thiszone
    type: s4
  - id: sigfigs
    type: u4
  - id: snaplen
    type: u4
  - id: network
    type: u4
  - id: packets
    type: packet
    repeat: eos
types:
  packet:
    seq:
      - id: ts_sec
        type: u4
      - id: ts_usec
        type: u4
      - id: incl_len
        type: u4
      - id: orig_len
        type: u4
      - id: body
        size: incl_len
        type: ethernet_frame
