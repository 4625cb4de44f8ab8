# After kaitai_struct_formats network/packet_ppi.ksy (CC0-1.0): CACE's Per-Packet Information header (little-
# endian) with 802.11 common and 802.11n MAC/PHY fields, then the frame chosen by the header's DLT.
meta:
  id: packet_ppi
  endian: le
  imports:
    - /network/ethernet_frame
  license: CC0-1.0
seq:
  - id: header
    type: packet_ppi_header
  - id: fields
    type: packet_ppi_fields
    size: header.pph_len - 8 # sizeof(packet_ppi_header)
  - id: body
    size-eos: true
    type:
      switch-on: header.pph_dlt
      cases:
        'linktype::ppi': packet_ppi
        'linktype::ethernet': ethernet_frame
types:
  packet_ppi_header:
    seq:
      - id: pph_version
        type: u1
      - id: pph_flags
        type: u1
      - id: pph_len
        type: u2
      - id: pph_dlt
        type: u4
        enum: linktype
  packet_ppi_fields:
    seq:
      - id: entries
        type: packet_ppi_field
        repeat: eos
  packet_ppi_field:
    seq:
      - id: pfh_type
        type: u2
        enum: pfh_type
      - id: pfh_datalen
        type: u2
      - id: body
        size: pfh_datalen
        type:
          switch-on: pfh_type
          cases:
            'pfh_type::radio_802_11_common': radio_802_11_common_body
            'pfh_type::radio_802_11n_mac_ext': radio_802_11n_mac_ext_body
            'pfh_type::radio_802_11n_mac_phy_ext': radio_802_11n_mac_phy_ext_body
  radio_802_11_common_body:
    seq:
      - id: tsf_timer
        type: u8
      - id: flags
        type: u2
      - id: rate
        type: u2
      - id: channel_freq
        type: u2
      - id: channel_flags
        type: u2
      - id: fhss_hopset
        type: u1
      - id: fhss_pattern
        type: u1
      - id: dbm_antsignal
        type: s1
      - id: dbm_antnoise
        type: s1
  radio_802_11n_mac_ext_body:
    seq:
      - id: flags
        type: mac_flags
      - id: a_mpdu_id
        type: u4
      - id: num_delimiters
        type: u1
      - id: reserved
        size: 3
  radio_802_11n_mac_phy_ext_body:
    seq:
      - id: flags
        type: mac_flags
      - id: a_mpdu_id
        type: u4
      - id: num_delimiters
        type: u1
      - id: mcs
        type: u1
      - id: num_streams
        type: u1
      - id: rssi_combined
        type: u1
      - id: rssi_ant_ctl
        type: u1
        repeat: expr
        repeat-expr: 4
      - id: rssi_ant_ext
        type: u1
        repeat: expr
        repeat-expr: 4
      - id: ext_channel_freq
        type: u2
      - id: ext_channel_flags
        type: channel_flags
      - id: rf_signal_noise
        type: signal_noise
        repeat: expr
        repeat-expr: 4
      - id: evm
        type: u4
        repeat: expr
        repeat-expr: 4
    types:
      channel_flags:
        seq:
          - id: spectrum_2ghz
            type: b1
          - id: ofdm
            type: b1
          - id: cck
            type: b1
          - id: turbo
            type: b1
          - id: unused
            type: b8
          - id: gfsk
            type: b1
          - id: dyn_cck_ofdm
            type: b1
          - id: only_passive_scan
            type: b1
          - id: spectrum_5ghz
            type: b1
      signal_noise:
        seq:
          - id: signal
            type: s1
          - id: noise
            type: s1
  mac_flags:
    seq:
      - id: unused1
        type: b1
      - id: aggregate_delimiter
        type: b1
      - id: more_aggregates
        type: b1
      - id: aggregate
        type: b1
      - id: dup_rx
        type: b1
      - id: rx_short_guard
        type: b1
      - id: is_ht_40
        type: b1
      - id: greenfield
        type: b1
      - id: unused2
        size: 3
enums:
  pfh_type:
    2: radio_802_11_common
    3: radio_802_11n_mac_ext
    4: radio_802_11n_mac_phy_ext
    5: spectrum_map
    6: process_info
    7: capture_info
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
