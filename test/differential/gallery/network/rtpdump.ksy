# After kaitai_struct_formats network/rtpdump.ksy (Unlicense): rtptools' capture file, a text first line
# (`#!rtpplay1.0 address/port\n`) then binary records, each an RTP packet in a sized window.
meta:
  id: rtpdump
  title: Rtpdump (rtptools)
  file-extension:
    - rtp
    - rtpdump
  license: Unlicense
  imports:
    - /network/rtp_packet
  endian: be
seq:
  - id: file_header
    type: header_t
  - id: packets
    type: packet_t
    repeat: eos
types:
  header_t:
    seq:
      - id: shebang
        contents: '#!rtpplay1.0'
      - id: space
        contents: ' '
      - id: ip
        type: str
        encoding: ascii
        terminator: 0x2f # '/'
      - id: port
        type: str
        encoding: ascii
        terminator: 0x0a # '\n'
      - id: start_sec
        type: u4
      - id: start_usec
        type: u4
      - id: ip2
        type: u4
      - id: port2
        type: u2
      - id: padding
        type: u2
  packet_t:
    seq:
      - id: length
        type: u2
        doc: the record's length, this 8-byte header included
      - id: len_body
        type: u2
      - id: packet_usec
        type: u4
        doc: milliseconds since start_sec/start_usec
      - id: body
        size: len_body
        type: rtp_packet
