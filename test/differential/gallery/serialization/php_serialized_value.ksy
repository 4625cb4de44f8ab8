meta:
  id: php_serialized_value
  title: Serialized PHP value
  application: PHP
  license: CC0-1.0
  ks-version: 0.9
  encoding: ASCII
doc: |
  Adapted from kaitai_struct_formats serialization/php_serialized_value.ksy (CC0-1.0), see ../README.md.
  A serialized PHP value, in the format used by PHP's built-in `serialize` and
  `unserialize` functions.
seq:
  - id: type
    type: u1
    enum: value_type
  - id: contents
    type:
      switch-on: type
      cases:
        'value_type::null': null_contents
        'value_type::bool': bool_contents
        'value_type::int': int_contents
        'value_type::float': float_contents
        'value_type::string': string_contents
        'value_type::php_6_string': string_contents
        'value_type::array': array_contents
        'value_type::php_3_object': php_3_object_contents
        'value_type::object': object_contents
        'value_type::custom_serialized_object':
          custom_serialized_object_contents
        'value_type::variable_reference': int_contents
        'value_type::object_reference': int_contents
enums:
  value_type:
    0x43: # 'C'
      id: custom_serialized_object
    0x4e: # 'N'
      id: 'null'
    0x4f: # 'O'
      id: object
    0x52: # 'R'
      id: variable_reference
    0x53: # 'S'
      id: php_6_string
    0x61: # 'a'
      id: array
    0x62: # 'b'
      id: bool
    0x64: # 'd'
      id: float
    0x69: # 'i'
      id: int
    0x6f: # 'o'
      id: php_3_object
    0x72: # 'r'
      id: object_reference
    0x73: # 's'
      id: string
  bool_value:
    0x30: false # '0'
    0x31: true # '1'
types:
  null_contents:
    seq:
      - id: semicolon
        contents: ';'
  bool_contents:
    seq:
      - id: colon
        contents: ':'
      - id: value_dec
        type: u1
        enum: bool_value
      - id: semicolon
        contents: ';'
    instances:
      value:
        value: 'value_dec == bool_value::true'
  int_contents:
    seq:
      - id: colon
        contents: ':'
      - id: value_dec
        type: str
        terminator: 0x3b # ';'
    instances:
      value:
        value: value_dec.to_i
  float_contents:
    seq:
      - id: colon
        contents: ':'
      - id: value_dec
        type: str
        terminator: 0x3b # ';'
  length_prefixed_quoted_string:
    seq:
      - id: len_data_dec
        type: str
        terminator: 0x3a # ':'
      - id: opening_quote
        contents: '"'
      - id: data
        size: len_data
      - id: closing_quote
        contents: '"'
    instances:
      len_data:
        value: len_data_dec.to_i
  string_contents:
    seq:
      - id: colon
        contents: ':'
      - id: string
        type: length_prefixed_quoted_string
      - id: semicolon
        contents: ';'
    instances:
      value:
        value: string.data
  mapping_entry:
    seq:
      - id: key
        type: php_serialized_value
      - id: value
        type: php_serialized_value
  count_prefixed_mapping:
    seq:
      - id: num_entries_dec
        type: str
        terminator: 0x3a # ':'
      - id: opening_brace
        contents: '{'
      - id: entries
        type: mapping_entry
        repeat: expr
        repeat-expr: num_entries
      - id: closing_brace
        contents: '}'
    instances:
      num_entries:
        value: num_entries_dec.to_i
  array_contents:
    seq:
      - id: colon
        contents: ':'
      - id: elements
        type: count_prefixed_mapping
  php_3_object_contents:
    seq:
      - id: colon
        contents: ':'
      - id: properties
        type: count_prefixed_mapping
  object_contents:
    seq:
      - id: colon1
        contents: ':'
      - id: class_name
        type: length_prefixed_quoted_string
      - id: colon2
        contents: ':'
      - id: properties
        type: count_prefixed_mapping
  custom_serialized_object_contents:
    seq:
      - id: colon1
        contents: ':'
      - id: class_name
        type: length_prefixed_quoted_string
      - id: colon2
        contents: ':'
      - id: len_data_dec
        type: str
        terminator: 0x3a # ':'
      - id: opening_brace
        contents: '{'
      - id: data
        size: len_data
      - id: closing_quote
        contents: '}'
    instances:
      len_data:
        value: len_data_dec.to_i
