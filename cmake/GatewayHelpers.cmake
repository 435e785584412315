# Uniform target helpers (after Abseil's absl_cc_library): every library is gw_<name> with alias gw::<name>.

# gw_cc_library(NAME name SRCS ... DEPS ...)
function(gw_cc_library)
  cmake_parse_arguments(GW "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(gw_${GW_NAME} STATIC ${GW_SRCS})
  add_library(gw::${GW_NAME} ALIAS gw_${GW_NAME})
  target_include_directories(gw_${GW_NAME} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/proto)
  target_link_libraries(gw_${GW_NAME} PUBLIC ${GW_DEPS})
endfunction()

# gw_cc_test(NAME name SRCS ... DEPS ... LABELS ...)
function(gw_cc_test)
  cmake_parse_arguments(GW "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${GW_NAME} ${GW_SRCS})
  target_link_libraries(${GW_NAME} PRIVATE ${GW_DEPS} gw::test_support
                        GTest::gtest GTest::gmock GTest::gtest_main)
  # A detector with `isolation: process` runs in this build's child host, not an installed one.
  gtest_discover_tests(${GW_NAME} PROPERTIES LABELS "${GW_LABELS}"
    ENVIRONMENT "LANTAARN_DETECTOR_HOST=${PROJECT_BINARY_DIR}/bin/lantaarn-detector-host"
    DISCOVERY_TIMEOUT 60)
endfunction()

# gw_fuzzer(NAME name SRCS ... DEPS ... CORPUS dir)
# With GW_FUZZ (clang) it is a libFuzzer binary; otherwise a standalone driver replays the corpus,
# so CI checks every seed under gcc and the sanitizers without needing clang.
function(gw_fuzzer)
  cmake_parse_arguments(GW "" "NAME;CORPUS" "SRCS;DEPS" ${ARGN})
  add_executable(${GW_NAME} ${GW_SRCS})
  target_link_libraries(${GW_NAME} PRIVATE ${GW_DEPS})
  if(GW_FUZZ)
    target_compile_options(${GW_NAME} PRIVATE -fsanitize=fuzzer)
    target_link_options(${GW_NAME} PRIVATE -fsanitize=fuzzer)
  else()
    target_sources(${GW_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests/fuzz/standalone_driver.cc)
  endif()
  add_test(NAME ${GW_NAME}_corpus COMMAND ${GW_NAME} ${GW_CORPUS})
  set_tests_properties(${GW_NAME}_corpus PROPERTIES LABELS "fuzz")
endfunction()
