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
  harness/test_raft.cc harness/test_raft.h
  harness/printers.cc harness/printers.h)
target_link_libraries(raft_test_harness PUBLIC raft)

# The interaction environment: RawNodes driven by datadriven commands.
add_library(raft_interaction_env STATIC
  datadriven/interaction_env.cc datadriven/interaction_env.h
  datadriven/handle_add_nodes.cc
  datadriven/handle_campaign.cc
  datadriven/handle_compact.cc
  datadriven/handle_deliver_msgs.cc
  datadriven/handle_log_level.cc
  datadriven/handle_log_state.cc
  datadriven/handle_partition.cc
  datadriven/handle_process_ready.cc
  datadriven/handle_propose.cc
  datadriven/handle_propose_conf_change.cc
  datadriven/handle_raft_log.cc
  datadriven/handle_raft_state.cc
  datadriven/handle_read_index.cc
  datadriven/handle_report.cc
  datadriven/handle_restart.cc
  datadriven/handle_send_snapshot.cc
  datadriven/handle_stabilize.cc
  datadriven/handle_status.cc
  datadriven/handle_storage_threads.cc
  datadriven/handle_tick.cc
  datadriven/handle_transfer_leadership.cc)
target_link_libraries(raft_interaction_env PUBLIC raft_datadriven
                      raft_test_harness PRIVATE cairn_options)

cairn_add_test(raft_interaction_test
  SOURCES interaction_test.cc
  LIBS raft_interaction_env)
target_compile_definitions(raft_interaction_test PRIVATE
  CAIRN_RAFT_TESTDATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/testdata")

cairn_add_test(raft_paper_test
  SOURCES raft_paper_test.cc
  LIBS raft_test_harness)

cairn_add_test(raft_election_test
  SOURCES raft_election_test.cc
  LIBS raft_test_harness)

# The configuration Changer over testdata/confchange/*.txt.
cairn_add_test(raft_confchange_test
  SOURCES confchange_test.cc
  LIBS raft_datadriven raft)
target_compile_definitions(raft_confchange_test PRIVATE
  CAIRN_RAFT_TESTDATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/testdata")

# Membership changes end to end, on an in-process RawNode cluster
# (member_cluster.h), with a randomized joint-consensus safety test.
cairn_add_test(raft_membership_test
  SOURCES raft_membership_test.cc member_cluster.cc member_cluster.h
  LIBS raft)
