# The raft test harnesses (in-memory network, datadriven reader and the
# interaction environment) and the protocol tests built on them: the Raft
# paper's rules, PreVote/CheckQuorum and the datadriven scenarios under
# testdata/. Run the scenarios with CAIRN_REWRITE=1 (or --rewrite) to
# regenerate their expected outputs.

# The datadriven file reader: no raft dependency.
add_library(raft_datadriven STATIC
  datadriven/datadriven.cc datadriven/datadriven.h datadriven/run_test.cc)
target_include_directories(raft_datadriven PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(raft_datadriven PUBLIC cairn_base GTest::gtest
                      PRIVATE cairn_options)

cairn_add_test(raft_datadriven_test
  SOURCES datadriven/datadriven_test.cc
  LIBS raft_datadriven)

# raft_test_harness: the in-memory network of raft nodes and the helpers to
# build test rafts; other test binaries (simulator, server tests) link it.
# The network itself needs only raftpb; the rest needs the raft library.
if(NOT TARGET raftpb)
  return()
endif()
add_library(raft_test_harness STATIC harness/network.cc harness/network.h)
target_include_directories(raft_test_harness PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(raft_test_harness PUBLIC raftpb cairn_base
                      PRIVATE cairn_options)
cairn_add_test(raft_network_test
  SOURCES harness/network_test.cc
  LIBS raft_test_harness)

if(NOT TARGET raft)
  return()
endif()
target_sources(raft_test_harness PRIVATE
  harness/test_storage.cc harness/test_storage.h
  harness/test_raft.cc harness/test_raft.h)
target_link_libraries(raft_test_harness PUBLIC raft)
