{
  "targets": [
    {
      "target_name": "protosmith_aead",
      "sources": ["aead.c", "hmac.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
