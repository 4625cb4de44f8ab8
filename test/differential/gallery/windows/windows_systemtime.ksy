# After kaitai_struct_formats windows/windows_systemtime.ksy (CC0-1.0): Win32 SYSTEMTIME, eight u2le.
meta:
  id: windows_systemtime
  title: Microsoft Windows SYSTEMTIME structure
  license: CC0-1.0
  endian: le
seq:
  - id: year
    type: u2
  - id: month
    type: u2
  - id: dow
    type: u2
    doc: day of the week, 0 = Sunday
  - id: day
    type: u2
  - id: hour
    type: u2
  - id: min
    type: u2
  - id: sec
    type: u2
  - id: msec
    type: u2
