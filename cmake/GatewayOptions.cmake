# Every build switch of the project, GW_-prefixed, in one place.
option(GW_BUILD_TESTS "Build the test suite" ON)
option(GW_BUILD_BENCH "Build the Google Benchmark microbenchmarks" OFF)
option(GW_FUZZ "Build libFuzzer targets (needs clang); otherwise fuzz targets replay their corpus" OFF)
option(GW_WERROR "Treat compiler warnings as errors" ON)
set(GW_SANITIZE "" CACHE STRING "Sanitizers: empty, 'address;undefined' or 'thread'")
option(GW_TCMALLOC "Link gatewayd with gperftools' tcmalloc (decision 1023); never with sanitizers" ON)

# lld links the ~60 test executables several times faster than ld.bfd, which dominated CI's
# build time under the sanitizers; ld.bfd where lld is not installed.
option(GW_LLD "Link with lld when it is installed" ON)
find_program(GW_LLD_PATH ld.lld)
if(GW_LLD AND GW_LLD_PATH)
  add_link_options(-fuse-ld=lld)
endif()

add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wno-unused-parameter
                    $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor>)
if(GW_WERROR)
  add_compile_options(-Werror)
endif()

if(GW_SANITIZE)
  string(REPLACE ";" "," _gw_san "${GW_SANITIZE}")
  add_compile_options(-fsanitize=${_gw_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_gw_san})
  if("thread" IN_LIST GW_SANITIZE)
    # Boost.Asio uses std::atomic_thread_fence, which TSan does not model; g++ warns about every
    # use. The warning is about TSan's coverage, not a defect in our code.
    add_compile_options(-Wno-tsan)
  endif()
endif()

# Where the vision models are installed, relative to the install prefix (or absolute). gatewayd
# looks for them relative to its own binary (<bindir>/../share/lantaarn/models), so `cmake
# --install` under any prefix and the Debian package (prefix /usr) both work unconfigured
# (gateway/vision/model_files.h).
include(GNUInstallDirs)
set(GW_INSTALL_MODELSDIR "${CMAKE_INSTALL_DATADIR}/lantaarn/models" CACHE STRING
    "Where the vision models are installed: relative to the prefix, or absolute")
