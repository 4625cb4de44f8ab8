# After kaitai_struct_formats network/dime_message.ksy (CC0-1.0): DIME records with big-endian bit fields
# (`bit-endian: be`) and padding to 4-byte boundaries sized by `(- _io.pos) % 4`.
meta:
  id: dime_message
  title: DIME (Direct Internet Message Encapsulation) message
  file-extension:
    - dim
    - dime
  license: CC0-1.0
  bit-endian: be
  endian: be
  encoding: ASCII
doc: https://tools.ietf.org/html/draft-nielsen-dime-02
seq:
  - id: records
    type: record
    repeat: eos
types:
  padding:
    seq:
      - id: boundary_padding
        size: (- _io.pos) % 4
  option_field:
    seq:
      - id: option_elements
        type: option_element
        repeat: eos
  option_element:
    seq:
      - id: element_format
        type: u2
      - id: len_element
        type: u2
      - id: element_data
        size: len_element
  record:
    seq:
      - id: version
        type: b5
      - id: is_first_record
        type: b1
      - id: is_last_record
        type: b1
      - id: is_chunk_record
        type: b1
      - id: type_format
        enum: type_formats
        type: b4
      - id: reserved
        type: b4
      - id: len_options
        type: u2
      - id: len_id
        type: u2
      - id: len_type
        type: u2
      - id: len_data
        type: u4
      - id: options
        size: len_options
        type: option_field
      - id: options_padding
        type: padding
      - id: id
        type: str
        size: len_id
      - id: id_padding
        type: padding
      - id: type
        type: str
        size: len_type
      - id: type_padding
        type: padding
      - id: data
        size: len_data
      - id: data_padding
        type: padding
enums:
  type_formats:
    0: unchanged
    1: media_type
    2: absolute_uri
    3: unknown
    4: none
