# cairn_options: an interface target every Cairn target links. It carries the
# language standard, the warning set, -Werror (CAIRN_WERROR) and sanitizers
# (CAIRN_SANITIZE), so no flag is set globally.
add_library(cairn_options INTERFACE)
add_library(cairn::options ALIAS cairn_options)
target_compile_features(cairn_options INTERFACE cxx_std_20)
target_compile_options(cairn_options INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
    -Wimplicit-fallthrough>)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  target_compile_options(cairn_options INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-Wthread-safety>)
endif()
# GCC 12 at -O3 (the Release config) reports -Wrestrict inside libstdc++'s
# inlined std::string copies where none can overlap (GCC bug 105329, fixed
# in 13): a false positive that would otherwise fail Release builds under
# -Werror. Other configs keep the warning.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND
   CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(cairn_options INTERFACE
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<CONFIG:Release>>:-Wno-restrict>)
endif()
if(CAIRN_WERROR)
  target_compile_options(cairn_options INTERFACE -Werror)
endif()
if(CAIRN_SANITIZE)
  target_compile_options(cairn_options INTERFACE
    -fsanitize=${CAIRN_SANITIZE} -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
  target_link_options(cairn_options INTERFACE -fsanitize=${CAIRN_SANITIZE})
endif()

# cairn_add_test(NAME SOURCES... LIBS ...): one gtest binary registered with
# ctest through gtest_discover_tests.
function(cairn_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest_main
                                        GTest::gmock cairn_options)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  set(labels unit)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS "${labels}")
endfunction()
