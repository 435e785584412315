# `cpack -G DEB` (from the build directory) builds lantaarn_<version>_<arch>.deb: gatewayd and
# gatewayctl (built-in detectors are linked in), the vision models in /usr/share/lantaarn/models
# (found by gatewayd next to its binary, whatever prefix this build was configured with), the
# plugin SDK headers and CMake package, the
# systemd unit and its user, and example policies in /etc/lantaarn/examples. See docs/DEPLOY.md.
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "lantaarn")
set(CPACK_PACKAGE_VENDOR "Lantaarn")
set(CPACK_PACKAGE_CONTACT "Lantaarn maintainers <operator@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
# With DESTDIR installs (below) this is the prefix the package is installed under.
set(CPACK_INSTALL_PREFIX "/usr")
# The unit, sysusers file and /etc files have absolute destinations.
set(CPACK_SET_DESTDIR ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from the binaries' shared libraries
# libavdevice is dlopen()ed for V4L2 cameras only (decision 1003), so shlibdeps cannot see it.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "mosquitto-clients, libavdevice59")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/deploy/debian/postinst;${PROJECT_SOURCE_DIR}/deploy/debian/prerm;${PROJECT_SOURCE_DIR}/deploy/debian/postrm;${PROJECT_SOURCE_DIR}/deploy/debian/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
