# After kaitai_struct_formats network/some_ip/some_ip_sd.ksy (CC0-1.0): SOME/IP service discovery header,
# entries and options arrays, each sized by its length field.
meta:
  id: some_ip_sd
  title: AUTOSAR SOME/IP Service Discovery
  license: CC0-1.0
  endian: be
  imports:
    - /network/some_ip_sd_entries
    - /network/some_ip_sd_options
seq:
  - id: flags
    type: sd_flags
  - id: reserved
    size: 3
  - id: len_entries
    type: u4
  - id: entries
    type: some_ip_sd_entries
    size: len_entries
  - id: len_options
    type: u4
  - id: options
    type: some_ip_sd_options
    size: len_options
types:
  sd_flags:
    seq:
      - id: reboot
        type: b1
      - id: unicast
        type: b1
      - id: initial_data
        type: b1
        doc: explicit initial data control
      - id: reserved
        type: b5
