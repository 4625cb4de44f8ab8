meta:
  id: python_pickle
  title: Python pickle serialization format
  application: Python
  file-extension:
    - pickle
    - pkl
  xref:
    justsolve: Pickle
    wikidata: Q7190889
  license: CC0-1.0
  endian: le
doc: |
  Adapted from kaitai_struct_formats serialization/python_pickle.ksy (CC0-1.0), see ../README.md.
  Python Pickle format serializes Python objects to a byte stream.
doc-ref: https://github.com/python/cpython/blob/v3.8.1/Lib/pickletools.py
seq:
  - id: ops
    type: op
    repeat: until
    repeat-until: _.code == opcode::stop
types:
  op:
    seq:
      - id: code
        type: u1
        enum: opcode
      - id: arg
        type:
          switch-on: code
          cases:
            'opcode::int': decimalnl_short
            'opcode::binint': s4
            'opcode::binint1': u1
            'opcode::binint2': u2
            'opcode::long': decimalnl_long
            'opcode::long1': long1
            'opcode::long4': long4
            'opcode::string': stringnl
            'opcode::binstring': string4
            'opcode::short_binstring': string1
            'opcode::binbytes': bytes4
            'opcode::short_binbytes': bytes1
            'opcode::binbytes8': bytes8
            'opcode::none': no_arg
            'opcode::newtrue': no_arg
            'opcode::newfalse': no_arg
            'opcode::unicode': unicodestringnl
            'opcode::short_binunicode': unicodestring1
            'opcode::binunicode': unicodestring4
            'opcode::binunicode8': unicodestring8
            'opcode::float': floatnl
            'opcode::binfloat': f8be
            'opcode::empty_list': no_arg
            'opcode::append': no_arg
            'opcode::appends': no_arg
            'opcode::list': no_arg
            'opcode::empty_tuple': no_arg
            'opcode::tuple': no_arg
            'opcode::tuple1': no_arg
            'opcode::tuple2': no_arg
            'opcode::tuple3': no_arg
            'opcode::empty_dict': no_arg
            'opcode::dict': no_arg
            'opcode::setitem': no_arg
            'opcode::setitems': no_arg
            'opcode::empty_set': no_arg
            'opcode::additems': no_arg
            'opcode::frozenset': no_arg
            'opcode::pop': no_arg
            'opcode::dup': no_arg
            'opcode::mark': no_arg
            'opcode::pop_mark': no_arg
            'opcode::get': decimalnl_short
            'opcode::binget': u1
            'opcode::long_binget': u4
            'opcode::put': decimalnl_short
            'opcode::binput': u1
            'opcode::long_binput': u4
            'opcode::memoize': no_arg
            'opcode::ext1': u1
            'opcode::ext2': u2
            'opcode::ext4': u4
            'opcode::global_opcode': stringnl_noescape_pair
            'opcode::stack_global': no_arg
            'opcode::reduce': no_arg
            'opcode::build': no_arg
            'opcode::inst': stringnl_noescape_pair
            'opcode::obj': no_arg
            'opcode::newobj': no_arg
            'opcode::newobj_ex': no_arg
            'opcode::proto': u1
            'opcode::stop': no_arg
            'opcode::frame': u8
            'opcode::persid': stringnl_noescape
            'opcode::binpersid': no_arg
            'opcode::bytearray8': bytearray8
            'opcode::next_buffer': no_arg
            'opcode::readonly_buffer': no_arg
  decimalnl_short:
    seq:
      - id: val
        type: str
        encoding: ascii
        terminator: 0x0a # "\n"
  decimalnl_long:
    seq:
      - id: val
        type: str
        encoding: ascii
        terminator: 0x0a # "\n"
  stringnl:
    seq:
      - id: val
        type: str
        encoding: ascii
        terminator: 0x0a # "\n"
  stringnl_noescape:
    seq:
      - id: val
        type: str
        encoding: ascii
        terminator: 0x0a # "\n"
  stringnl_noescape_pair:
    seq:
      - id: val1
        type: stringnl_noescape
      - id: val2
        type: stringnl_noescape
  unicodestringnl:
    seq:
      - id: val
        type: str
        encoding: ascii
        terminator: 0x0a # "\n"
  floatnl:
    seq:
      - id: val
        type: str
        encoding: ascii
        terminator: 0x0a # "\n"
  long1:
    seq:
      - id: len
        type: u1
      - id: val
        size: len
  long4:
    seq:
      - id: len
        type: u4
      - id: val
        size: len
  string1:
    seq:
      - id: len
        type: u1
      - id: val
        size: len
  string4:
    seq:
      - id: len
        type: s4
      - id: val
        size: len
  bytes1:
    seq:
      - id: len
        type: u1
      - id: val
        size: len
  bytes4:
    seq:
      - id: len
        type: u4
      - id: val
        size: len
  bytes8:
    seq:
      - id: len
        type: u8
      - id: val
        size: len
  bytearray8:
    seq:
      - id: len
        type: u8
      - id: val
        size: len
  unicodestring1:
    seq:
      - id: len
        type: u1
      - id: val
        type: str
        encoding: utf8
        size: len
  unicodestring4:
    seq:
      - id: len
        type: u4
      - id: val
        type: str
        encoding: utf8
        size: len
  unicodestring8:
    seq:
      - id: len
        type: u8
      - id: val
        type: str
        encoding: utf8
        size: len
  no_arg:
    doc: Some opcodes take no argument, this empty type is used for them.

enums:
  opcode:
    0x28:
      id: "mark"
      -orig-id: MARK
    0x2e:
      id: "stop"
      -orig-id: STOP
    0x30:
      id: "pop"
      -orig-id: POP
    0x31:
      id: "pop_mark"
      -orig-id: POP_MARK
    0x32:
      id: "dup"
      -orig-id: DUP
    0x46:
      id: "float"
      -orig-id: FLOAT
    0x49:
      id: "int"
      -orig-id: INT
    0x4a:
      id: "binint"
      -orig-id: BININT
    0x4b:
      id: "binint1"
      -orig-id: BININT1
    0x4c:
      id: "long"
      -orig-id: LONG
    0x4d:
      id: "binint2"
      -orig-id: BININT2
    0x4e:
      id: "none"
      -orig-id: NONE
    0x50:
      id: "persid"
      -orig-id: PERSID
    0x51:
      id: "binpersid"
      -orig-id: BINPERSID
    0x52:
      id: "reduce"
      -orig-id: REDUCE
    0x53:
      id: "string"
      -orig-id: STRING
    0x54:
      id: "binstring"
      -orig-id: BINSTRING
    0x55:
      id: "short_binstring"
      -orig-id: SHORT_BINSTRING
    0x56:
      id: "unicode"
      -orig-id: UNICODE
    0x58:
      id: "binunicode"
      -orig-id: BINUNICODE
    0x61:
      id: "append"
      -orig-id: APPEND
    0x62:
      id: "build"
      -orig-id: BUILD
    0x63:
      id: "global_opcode"
      -orig-id: GLOBAL
      -affected-by: 90
    0x64:
      id: "dict"
      -orig-id: DICT
    0x7d:
      id: "empty_dict"
      -orig-id: EMPTY_DICT
    0x65:
      id: "appends"
      -orig-id: APPENDS
    0x67:
      id: "get"
      -orig-id: GET
    0x68:
      id: "binget"
      -orig-id: BINGET
    0x69:
      id: "inst"
      -orig-id: INST
    0x6a:
      id: "long_binget"
      -orig-id: LONG_BINGET
    0x6c:
      id: "list"
      -orig-id: LIST
    0x5d:
      id: "empty_list"
      -orig-id: EMPTY_LIST
    0x6f:
      id: "obj"
      -orig-id: OBJ
    0x70:
      id: "put"
      -orig-id: PUT
    0x71:
      id: "binput"
      -orig-id: BINPUT
    0x72:
      id: "long_binput"
      -orig-id: LONG_BINPUT
    0x73:
      id: "setitem"
      -orig-id: SETITEM
    0x74:
      id: "tuple"
      -orig-id: TUPLE
    0x29:
      id: "empty_tuple"
      -orig-id: EMPTY_TUPLE
    0x75:
      id: "setitems"
      -orig-id: SETITEMS
    0x47:
      id: "binfloat"
      -orig-id: BINFLOAT
    0x80:
      id: "proto"
      -orig-id: PROTO
    0x81:
      id: "newobj"
      -orig-id: NEWOBJ
    0x82:
      id: "ext1"
      -orig-id: EXT1
    0x83:
      id: "ext2"
      -orig-id: EXT2
    0x84:
      id: "ext4"
      -orig-id: EXT4
    0x85:
      id: "tuple1"
      -orig-id: TUPLE1
    0x86:
      id: "tuple2"
      -orig-id: TUPLE2
    0x87:
      id: "tuple3"
      -orig-id: TUPLE3
    0x88:
      id: "newtrue"
      -orig-id: NEWTRUE
    0x89:
      id: "newfalse"
      -orig-id: NEWFALSE
    0x8a:
      id: "long1"
      -orig-id: LONG1
    0x8b:
      id: "long4"
      -orig-id: LONG4
    0x42:
      id: "binbytes"
      -orig-id: BINBYTES
    0x43:
      id: "short_binbytes"
      -orig-id: SHORT_BINBYTES
    0x8c:
      id: "short_binunicode"
      -orig-id: SHORT_BINUNICODE
    0x8d:
      id: "binunicode8"
      -orig-id: BINUNICODE8
    0x8e:
      id: "binbytes8"
      -orig-id: BINBYTES8
    0x8f:
      id: "empty_set"
      -orig-id: EMPTY_SET
    0x90:
      id: "additems"
      -orig-id: ADDITEMS
    0x91:
      id: "frozenset"
      -orig-id: FROZENSET
    0x92:
      id: "newobj_ex"
      -orig-id: NEWOBJ_EX
    0x93:
      id: "stack_global"
      -orig-id: STACK_GLOBAL
    0x94:
      id: "memoize"
      -orig-id: MEMOIZE
    0x95:
      id: "frame"
      -orig-id: FRAME
    0x96:
      id: "bytearray8"
      -orig-id: BYTEARRAY8
    0x97:
      id: "next_buffer"
      -orig-id: NEXT_BUFFER
    0x98:
      id: "readonly_buffer"
      -orig-id: READONLY_BUFFER
