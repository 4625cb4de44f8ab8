# After kaitai_struct_formats network/hccapx.ksy (Unlicense): Hashcat's 393-byte handshake record; the ESSID
# and the EAPOL frame are each followed by zero padding sized by the same length field (`32 - len_essid`,
# `256 - len_eapol`).
meta:
  id: hccapx
  title: Hashcat capture file
  file-extension: hccapx
  license: Unlicense
  endian: le
seq:
  - id: records
    type: hccapx_record
    repeat: eos
types:
  hccapx_record:
    seq:
      - id: magic
        contents: "HCPX"
      - id: version
        type: u4
      - id: ignore_replay_counter
        type: b1
      - id: message_pair
        type: b7
        doc: which handshake messages the nonces and the EAPOL frame came from
      - id: len_essid
        type: u1
      - id: essid
        size: len_essid
      - id: padding1
        size: 32 - len_essid
      - id: keyver
        type: u1
      - id: keymic
        size: 16
      - id: mac_ap
        size: 6
      - id: nonce_ap
        size: 32
      - id: mac_station
        size: 6
      - id: nonce_station
        size: 32
      - id: len_eapol
        type: u2
      - id: eapol
        size: len_eapol
      - id: padding2
        size: 256 - len_eapol
