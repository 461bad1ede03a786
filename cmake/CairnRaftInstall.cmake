# Installs raft/ as a package of its own, the install component "raft":
#
#   include/raft/**.h, include/proto/raftpb/*.h, include/base/{status,
#   result,check}.h           the headers (include paths rooted as in the
#                             repository: "raft/raw_node.h")
#   lib/libcairn_raft.a, lib/libcairn_raftpb.a
#   lib/cmake/CairnRaft/      find_package(CairnRaft): CairnRaft::raft,
#                             CairnRaft::raftpb, CairnRaft::base, and a
#                             SameMajorVersion version file
#   lib/pkgconfig/cairn-raft.pc
#
#   cmake --install <build> --component raft --prefix <dir>
#
# Every installed path is relative to the prefix chosen at install time
# (CMake's generated files use _IMPORT_PREFIX, the .pc file ${pcfiledir}),
# so nothing points back into the source or build tree and the install can
# be moved. A sanitizer build (CAIRN_SANITIZE) installs instrumented
# libraries: their consumers must link the sanitizer runtime, so the
# installed targets and the .pc file carry -fsanitize=... as a link flag.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(cairn_raft_cmake_dir "${CMAKE_INSTALL_LIBDIR}/cmake/CairnRaft")
set(cairn_raft_pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")

set_target_properties(cairn_base PROPERTIES EXPORT_NAME base)
set(cairn_raft_sanitize_link "")
if(CAIRN_SANITIZE)
  set(cairn_raft_sanitize_link "-fsanitize=${CAIRN_SANITIZE}")
  foreach(t raftpb raft)
    target_link_options(${t} INTERFACE
      "$<INSTALL_INTERFACE:${cairn_raft_sanitize_link}>")
  endforeach()
endif()

install(TARGETS cairn_base raftpb raft
  EXPORT CairnRaftTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT raft)
install(EXPORT CairnRaftTargets
  NAMESPACE CairnRaft::
  DESTINATION "${cairn_raft_cmake_dir}"
  COMPONENT raft)

# Headers. Every header under raft/ is public (etcd's raft exposes its
# packages too); the directory walk picks up new subdirectories.
install(DIRECTORY "${PROJECT_SOURCE_DIR}/raft/"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/raft"
  COMPONENT raft
  FILES_MATCHING PATTERN "*.h")
install(FILES
  "${PROJECT_SOURCE_DIR}/proto/raftpb/raftpb.h"
  "${PROJECT_SOURCE_DIR}/proto/raftpb/codec.h"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/proto/raftpb"
  COMPONENT raft)
install(FILES
  "${PROJECT_SOURCE_DIR}/base/check.h"
  "${PROJECT_SOURCE_DIR}/base/result.h"
  "${PROJECT_SOURCE_DIR}/base/status.h"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/base"
  COMPONENT raft)

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/CairnRaftConfig.cmake.in"
  "${CMAKE_CURRENT_BINARY_DIR}/CairnRaftConfig.cmake"
  INSTALL_DESTINATION "${cairn_raft_cmake_dir}")
write_basic_package_version_file(
  "${CMAKE_CURRENT_BINARY_DIR}/CairnRaftConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion)
install(FILES
  "${CMAKE_CURRENT_BINARY_DIR}/CairnRaftConfig.cmake"
  "${CMAKE_CURRENT_BINARY_DIR}/CairnRaftConfigVersion.cmake"
  DESTINATION "${cairn_raft_cmake_dir}"
  COMPONENT raft)

# The .pc file finds the prefix from its own location.
file(RELATIVE_PATH cairn_raft_pc_to_prefix
  "/prefix/${cairn_raft_pc_dir}" "/prefix")
string(REGEX REPLACE "/$" "" cairn_raft_pc_to_prefix
  "${cairn_raft_pc_to_prefix}")
configure_file("${PROJECT_SOURCE_DIR}/cmake/cairn-raft.pc.in"
  "${CMAKE_CURRENT_BINARY_DIR}/cairn-raft.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/cairn-raft.pc"
  DESTINATION "${cairn_raft_pc_dir}"
  COMPONENT raft)
