# raft_install_consumer: a project outside Cairn builds against the
# installed raft package (run_test.cmake). Included from
# tests/raft/CMakeLists.txt.
if(NOT TARGET raft)
  return()
endif()
add_test(NAME raft_install_consumer
  COMMAND "${CMAKE_COMMAND}"
    "-DBUILD_DIR=${PROJECT_BINARY_DIR}"
    "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}"
    "-DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/consumer"
    "-DCXX=${CMAKE_CXX_COMPILER}"
    "-DGENERATOR=${CMAKE_GENERATOR}"
    "-DMAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}"
    -P "${CMAKE_CURRENT_SOURCE_DIR}/consumer/run_test.cmake")
set_tests_properties(raft_install_consumer PROPERTIES
  LABELS "unit" TIMEOUT 300)
