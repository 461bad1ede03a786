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
