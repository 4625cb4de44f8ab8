# After kaitai_struct_formats network/microsoft_network_monitor_v2.ksy (CC0-1.0): the header points at a
# frame table (pos instance); each table entry points at its frame in _root._io (io + pos instance), and a
# frame's body is chosen by `_root.mac_type`. Decode-only.
meta:
  id: microsoft_network_monitor_v2
  title: Microsoft Network Monitor (v2.x) capture file
  file-extension: cap
  license: CC0-1.0
  imports:
    - /network/ethernet_frame
    - /windows/windows_systemtime
  endian: le
seq:
  - id: signature
    contents: GMBU
  - id: version_minor
    type: u1
  - id: version_major
    type: u1
  - id: mac_type
    type: u2
    enum: linktype
  - id: time_capture_start
    type: windows_systemtime
  - id: frame_table_ofs
    type: u4
  - id: frame_table_len
    type: u4
  - id: user_data_ofs
    type: u4
  - id: user_data_len
    type: u4
  - id: comment_ofs
    type: u4
  - id: comment_len
    type: u4
  - id: statistics_ofs
    type: u4
  - id: statistics_len
    type: u4
  - id: network_info_ofs
    type: u4
  - id: network_info_len
    type: u4
  - id: conversation_stats_ofs
    type: u4
  - id: conversation_stats_len
    type: u4
instances:
  frame_table:
    pos: frame_table_ofs
    size: frame_table_len
    type: frame_index
types:
  frame_index:
    seq:
      - id: entries
        type: frame_index_entry
        repeat: eos
  frame_index_entry:
    seq:
      - id: ofs
        type: u4
    instances:
      body:
        io: _root._io
        pos: ofs
        type: frame
  frame:
    seq:
      - id: ts_delta
        type: u8
        doc: microseconds since time_capture_start
      - id: orig_len
        type: u4
      - id: inc_len
        type: u4
      - id: body
        size: inc_len
        type:
          switch-on: _root.mac_type
          cases:
            'linktype::ethernet': ethernet_frame
enums:
  linktype:
    0: null_linktype
    1: ethernet
    101: raw
    105: ieee802_11
    113: linux_sll
    127: ieee802_11_radiotap
    192: ppi
    228: ipv4
    229: ipv6
