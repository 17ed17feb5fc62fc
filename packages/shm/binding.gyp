{
  "targets": [
    {
      "target_name": "ringkit_shm",
      "sources": ["native/shm.cc"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wno-cast-function-type"],
      "libraries": ["-lrt", "-lpthread", "-ldl"]
    }
  ]
}
