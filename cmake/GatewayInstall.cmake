# What `cmake --install` (and the Debian package) puts on an edge box: the binaries, the
# detector plugin SDK with its CMake package, and the example policies.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS gatewayd gatewayctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/gateway/detectors/api/gw_detector_api.h
              ${PROJECT_SOURCE_DIR}/gateway/detectors/sdk/lantaarn_detector.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/lantaarn)

set(GW_SDK_INCLUDE_DIR ${CMAKE_INSTALL_INCLUDEDIR}/lantaarn)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/LantaarnConfig.cmake.in
  ${PROJECT_BINARY_DIR}/LantaarnConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Lantaarn
  PATH_VARS GW_SDK_INCLUDE_DIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/LantaarnConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/LantaarnConfig.cmake ${PROJECT_BINARY_DIR}/LantaarnConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Lantaarn)
install(FILES ${PROJECT_SOURCE_DIR}/policies/demo.yaml DESTINATION ${CMAKE_INSTALL_DATADIR}/lantaarn/policies)
