# After kaitai_struct_formats network/bitcoin_transaction.ksy (MIT, the gallery file's `meta.license`): a
# legacy transaction whose inputs are P2PKH spends (DER signature and uncompressed public key), u1 counts.
meta:
  id: bitcoin_transaction
  title: Bitcoin Transaction
  license: MIT
  endian: le
seq:
  - id: version
    type: u4
  - id: num_vins
    type: u1
  - id: vins
    type: vin
    repeat: expr
    repeat-expr: num_vins
  - id: num_vouts
    type: u1
  - id: vouts
    type: vout
    repeat: expr
    repeat-expr: num_vouts
  - id: locktime
    type: u4
types:
  vin:
    seq:
      - id: txid
        size: 32
      - id: output_id
        type: u4
      - id: len_script
        type: u1
      - id: script_sig
        size: len_script
        type: script_signature
      - id: end_of_vin
        contents: [0xff, 0xff, 0xff, 0xff]
    types:
      script_signature:
        seq:
          - id: len_sig_stack
            type: u1
          - id: der_sig
            type: der_signature
          - id: sig_type
            type: u1
            enum: sighash_type
          - id: len_pubkey_stack
            type: u1
          - id: pubkey
            type: public_key
        types:
          der_signature:
            seq:
              - id: sequence
                contents: [0x30]
              - id: len_sig
                type: u1
              - id: sep_1
                contents: [0x02]
              - id: len_sig_r
                type: u1
              - id: sig_r
                size: len_sig_r
              - id: sep_2
                contents: [0x02]
              - id: len_sig_s
                type: u1
              - id: sig_s
                size: len_sig_s
          public_key:
            seq:
              - id: type
                type: u1
              - id: x
                size: 32
              - id: y
                size: 32
        enums:
          sighash_type:
            1: sighash_all
            2: sighash_none
            3: sighash_single
            80: sighash_anyonecanpay
  vout:
    seq:
      - id: amount
        type: u8
      - id: len_script
        type: u1
      - id: script_pub_key
        size: len_script
