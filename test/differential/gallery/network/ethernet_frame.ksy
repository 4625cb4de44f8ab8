# After kaitai_struct_formats network/ethernet_frame.ksy (CC0-1.0): 802.1Q/802.1AD tags with bit fields,
# and the real ether type as a value instance that the body switches on.
meta:
  id: ethernet_frame
  title: Ethernet frame (layer 2, IEEE 802.3)
  xref:
    ieee: 802.3
    wikidata: Q11331406
  license: CC0-1.0
  ks-version: 0.8
  imports:
    - /network/ipv4_packet
doc: |
  Ethernet frame is a OSI data link layer (layer 2) protocol data unit for Ethernet networks.
doc-ref: https://ieeexplore.ieee.org/document/7428776
seq:
  - id: dst_mac
    size: 6
  - id: src_mac
    size: 6
  - id: ether_type_or_tpid
    type: u2be
    enum: ether_type_enum
  - id: service_tci
    type: tag_control_info
    if: ether_type_or_tpid == ether_type_enum::ieee_802_1ad_tpid
  - id: tpid
    type: u2be
    enum: ether_type_enum
    if: ether_type_or_tpid == ether_type_enum::ieee_802_1ad_tpid
  - id: customer_tci
    type: tag_control_info
    if: ether_type_or_tpid == ether_type_enum::ieee_802_1ad_tpid or ether_type_or_tpid == ether_type_enum::ieee_802_1q_tpid
  - id: ether_type_after_q_tag
    type: u2be
    enum: ether_type_enum
    if: ether_type_or_tpid == ether_type_enum::ieee_802_1ad_tpid or ether_type_or_tpid == ether_type_enum::ieee_802_1q_tpid
  - id: body
    size-eos: true
    type:
      switch-on: ether_type
      cases:
        'ether_type_enum::ipv4': ipv4_packet
instances:
  ether_type:
    value: |
      (ether_type_or_tpid == ether_type_enum::ieee_802_1ad_tpid or ether_type_or_tpid == ether_type_enum::ieee_802_1q_tpid) ? ether_type_after_q_tag : ether_type_or_tpid
    doc: The real ether type, after any 802.1Q/802.1AD tags.
types:
  tag_control_info:
    seq:
      - id: priority
        type: b3
      - id: drop_eligible
        type: b1
      - id: vlan_id
        type: b12
enums:
  # https://www.iana.org/assignments/ieee-802-numbers/ieee-802-numbers.xhtml
  ether_type_enum:
    0x0800: ipv4
    0x0806: arp
    0x8100: ieee_802_1q_tpid
    0x86dd: ipv6
    0x88a8: ieee_802_1ad_tpid
