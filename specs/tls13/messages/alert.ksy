meta:
  id: alert
  title: TLS 1.3 Alert (RFC 8446 §6)
  endian: be
  imports:
    - common
doc: |
  struct { AlertLevel level; AlertDescription description; } Alert;   (RFC 8446 §6)
  Both bytes are open enums: an unknown description still decodes, so the engine can answer it.
seq:
  - id: level
    type: u1
    enum: common::alert_level
    doc: RFC 8446 §6 - ignored in TLS 1.3 (the description alone decides), but kept for the round trip.
  - id: description
    type: u1
    enum: common::alert_description
