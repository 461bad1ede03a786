# The consumer-project test (ctest: raft_install_consumer). Installs the
# raft component of the build into a fresh prefix, checks that no
# installed text file names the source or build tree, then builds
# tests/raft/consumer twice against the install (find_package, then a
# plain compiler command with pkg-config's flags), runs both programs
# and checks what they print, and compiles every installed header with
# nothing but the install on the include path.
#
# cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DCXX=...
#       -DGENERATOR=... -DMAKE_PROGRAM=... -P run_test.cmake
foreach(v BUILD_DIR SOURCE_DIR WORK_DIR CXX GENERATOR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run_test.cmake: ${v} is not set")
  endif()
endforeach()
set(consumer_dir "${SOURCE_DIR}/tests/raft/consumer")
set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")

# Runs a command; stops the test with its output when it fails. The
# command's stdout is left in `out`.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE o
                  ERROR_VARIABLE e)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${o}\n${e}")
  endif()
  set(out "${o}" PARENT_SCOPE)
endfunction()

# Checks that the consumer's output says what main.cc prints on success.
function(check_output what text)
  if(NOT text MATCHES "leader 1 at term 1\ncommitted hello at index 2\n")
    message(FATAL_ERROR "${what} printed:\n${text}")
  endif()
  message(STATUS "${what}: ok")
endfunction()

run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --component raft
    --prefix "${prefix}")

# Everything installed must be found from the prefix alone.
file(GLOB_RECURSE installed LIST_DIRECTORIES false "${prefix}/*")
set(have_raw_node FALSE)
foreach(f IN LISTS installed)
  if(f MATCHES "/include/raft/raw_node\\.h$")
    set(have_raw_node TRUE)
  endif()
  if(f MATCHES "\\.(cmake|pc|h)$")
    file(READ "${f}" text)
    foreach(tree "${SOURCE_DIR}" "${BUILD_DIR}" "${prefix}")
      string(FIND "${text}" "${tree}" at)
      if(at GREATER -1)
        message(FATAL_ERROR "${f} names ${tree}: the install is not "
                            "relocatable")
      endif()
    endforeach()
  endif()
endforeach()
if(NOT have_raw_node)
  message(FATAL_ERROR "raft/raw_node.h not installed under ${prefix}:\n"
                      "${installed}")
endif()

# 1. find_package(CairnRaft).
set(make_args "")
if(MAKE_PROGRAM)
  set(make_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
run("${CMAKE_COMMAND}" -S "${consumer_dir}" -B "${WORK_DIR}/cmake-build"
    -G "${GENERATOR}" ${make_args} "-DCMAKE_CXX_COMPILER=${CXX}"
    "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_BUILD_TYPE=Release)
run("${CMAKE_COMMAND}" --build "${WORK_DIR}/cmake-build")
run("${WORK_DIR}/cmake-build/consumer")
check_output("find_package consumer" "${out}")

# 2. pkg-config, with nothing but the compiler.
find_program(PKG_CONFIG NAMES pkg-config pkgconf REQUIRED)
set(ENV{PKG_CONFIG_PATH} "")
file(GLOB pc_dirs LIST_DIRECTORIES true "${prefix}/lib*/pkgconfig"
     "${prefix}/lib*/*/pkgconfig")
foreach(d IN LISTS pc_dirs)
  set(ENV{PKG_CONFIG_PATH} "${d}")
endforeach()
run("${PKG_CONFIG}" --cflags --libs cairn-raft)
string(STRIP "${out}" pc_flags)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
run("${CXX}" -std=c++20 "${consumer_dir}/main.cc" ${pc_flags}
    -o "${WORK_DIR}/consumer-pc")
run("${WORK_DIR}/consumer-pc")
check_output("pkg-config consumer" "${out}")

# 3. Every installed header compiles with nothing but the install: none
# includes a header that was not installed.
set(all_headers "${WORK_DIR}/all_headers.cc")
file(WRITE "${all_headers}" "")
file(GLOB_RECURSE headers RELATIVE "${prefix}/include" "${prefix}/include/*.h")
foreach(h IN LISTS headers)
  file(APPEND "${all_headers}" "#include \"${h}\"\n")
endforeach()
run("${PKG_CONFIG}" --cflags cairn-raft)
string(STRIP "${out}" pc_cflags)
separate_arguments(pc_cflags UNIX_COMMAND "${pc_cflags}")
run("${CXX}" -std=c++20 -fsyntax-only ${pc_cflags} "${all_headers}")
list(LENGTH headers n)
message(STATUS "${n} installed headers compile on their own: ok")
