# After kaitai_struct_formats network/hccap.ksy (Unlicense): the EAPOL frame is the first len_eapol bytes
# of a fixed 256-byte buffer, read as a pos instance in that buffer's own stream (`io: eapol_buffer._io`).
meta:
  id: hccap
  title: Hashcat capture file (old version)
  license: Unlicense
  endian: le
seq:
  - id: records
    type: hccap_record
    repeat: eos
types:
  hccap_record:
    seq:
      - id: essid
        size: 36
      - id: mac_ap
        size: 6
      - id: mac_station
        size: 6
      - id: nonce_station
        size: 32
      - id: nonce_ap
        size: 32
      - id: eapol_buffer
        type: eapol_dummy
        size: 256
      - id: len_eapol
        type: u4
      - id: keyver
        type: u4
        doc: 1 for WPA (HMAC-MD5 MIC), 2 for WPA2 (HMAC-SHA1 MIC)
      - id: keymic
        size: 16
    instances:
      eapol:
        io: eapol_buffer._io
        pos: 0
        size: len_eapol
  eapol_dummy: {}
