# What `cmake --install` (and the Debian package) puts on an edge box: the binaries, the vision
# models they need, the detector plugin SDK with its CMake package, and the example policies.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS gatewayd gatewayctl lantaarn-actor RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The vision models with their licences and provenance, where gatewayd looks for them: relative
# to its own binary (GW_INSTALL_MODELSDIR, cmake/GatewayOptions.cmake; gateway/vision/model_files.h).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/gateway/vision/models/ DESTINATION ${GW_INSTALL_MODELSDIR}
        FILES_MATCHING PATTERN "*.onnx" PATTERN "LICENSE*" PATTERN "PROVENANCE.md"
        PATTERN "tools" EXCLUDE)
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

# The service: the hardened systemd unit and its user, and example policies for /etc/lantaarn.
# These paths are absolute on purpose (an edge box has one /etc); for a scratch install use
# `DESTDIR=/tmp/root cmake --install build/release`.
set(GW_INSTALL_SYSCONFDIR "/etc/lantaarn" CACHE PATH "Where the example policies are installed")
set(GW_INSTALL_UNITDIR "/lib/systemd/system" CACHE PATH "Where the systemd unit is installed")
set(GW_INSTALL_SYSUSERSDIR "/usr/lib/sysusers.d" CACHE PATH "Where the sysusers.d file goes")
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/lantaarn-gatewayd.service
        DESTINATION ${GW_INSTALL_UNITDIR})
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/lantaarn.sysusers
        DESTINATION ${GW_INSTALL_SYSUSERSDIR} RENAME lantaarn.conf)
# The actor's receiving service (docs/ACTORS.md section 7): its unit, its user, an example.
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/lantaarn-actor.service
        DESTINATION ${GW_INSTALL_UNITDIR})
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/lantaarn-actor.sysusers
        DESTINATION ${GW_INSTALL_SYSUSERSDIR} RENAME lantaarn-actor.conf)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/actor/actor.yaml
        DESTINATION /etc/lantaarn-actor/examples)
install(FILES ${PROJECT_SOURCE_DIR}/policies/examples/edge-site.yaml
        DESTINATION ${GW_INSTALL_SYSCONFDIR}/examples)
# Empty until the operator puts the site's policy and the actors' public keys there.
install(DIRECTORY DESTINATION ${GW_INSTALL_SYSCONFDIR}/policy.d)
install(DIRECTORY DESTINATION ${GW_INSTALL_SYSCONFDIR}/keys)
install(FILES ${PROJECT_SOURCE_DIR}/docs/DEPLOY.md ${PROJECT_SOURCE_DIR}/docs/POLICY.md
              ${PROJECT_SOURCE_DIR}/docs/TOPICS.md ${PROJECT_SOURCE_DIR}/docs/KEYS.md
              ${PROJECT_SOURCE_DIR}/docs/ACTORS.md
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/lantaarn)
