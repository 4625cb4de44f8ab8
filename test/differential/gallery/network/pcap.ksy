# After kaitai_struct_formats network/pcap.ksy (CC0-1.0): the classic little-endian pcap file; each
# record's body is read by the file header's link type, through `_root.hdr.network`.
meta:
  id: pcap
  title: PCAP (classic, little-endian)
  license: CC0-1.0
  endian: le
  imports:
    - /network/ethernet_frame
seq:
  - id: hdr
    type: header
  - id: packets
    type: packet
    repeat: eos
types:
  header:
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
        enum: linktype
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
        type:
          switch-on: _root.hdr.network
          cases:
            'linktype::ethernet': ethernet_frame
enums:
  linktype:
    0: null_linktype
    1: ethernet
    101: raw
    105: ieee802_11
    113: linux_sll
