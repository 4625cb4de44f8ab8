{
  "targets": [
    {
      "target_name": "protosmith_aead",
      "sources": ["aead.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
