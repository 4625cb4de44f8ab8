# After kaitai_struct_formats network/some_ip/some_ip_container.ksy (CC0-1.0): SOME/IP messages back to back
# (as in one UDP datagram). Decode-only, like some_ip.
meta:
  id: some_ip_container
  title: AUTOSAR SOME/IP container
  license: CC0-1.0
  endian: be
  imports:
    - /network/some_ip
seq:
  - id: some_ip_packages
    type: some_ip
    repeat: eos
