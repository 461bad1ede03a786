# Unit tests of raftpb and raft/ (one test file per source file).
if(NOT TARGET raft)
  return()
endif()

cairn_add_test(raft_core_test
  SOURCES
    inflights_test.cc
    log_test.cc
    log_unstable_test.cc
    progress_test.cc
    quorum_test.cc
    raft_read_index_test.cc
    raft_snap_test.cc
    raft_test.cc
    raft_transfer_test.cc
    raw_node_async_test.cc
    raw_node_test.cc
    read_only_test.cc
    storage_test.cc
    util_test.cc
  LIBS raft)

# The codec test compares against protoc's code for raft.proto; only this
# test links libprotobuf.
find_package(Protobuf REQUIRED)
set(raftpb_ref_dir "${CMAKE_CURRENT_BINARY_DIR}/raftpb_ref")
file(MAKE_DIRECTORY "${raftpb_ref_dir}")
add_library(raftpb_reference STATIC
  "${PROJECT_SOURCE_DIR}/proto/raftpb/raft.proto")
protobuf_generate(TARGET raftpb_reference LANGUAGE cpp
  APPEND_PATH
  PROTOC_OUT_DIR "${raftpb_ref_dir}")
target_include_directories(raftpb_reference SYSTEM PUBLIC "${raftpb_ref_dir}")
target_link_libraries(raftpb_reference PUBLIC protobuf::libprotobuf
                      PRIVATE cairn_options)
target_compile_options(raftpb_reference PRIVATE -w)

cairn_add_test(raftpb_codec_test
  SOURCES raftpb_codec_test.cc
  LIBS raftpb raftpb_reference)
