# All third-party dependencies come from Debian 12 packages (deploy/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(PahoMqttCpp 1.2 CONFIG REQUIRED)
find_package(Protobuf 3.21 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
# Howard Hinnant's date library: IANA time zones from the system's tzdata (libdate-tz, built by
# Debian with USE_SYSTEM_TZ_DB, so it reads /usr/share/zoneinfo and never downloads).
find_package(date 3.0.1 CONFIG REQUIRED)
find_package(OpenCV 4.6 REQUIRED COMPONENTS core imgproc imgcodecs videoio video objdetect dnn)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium>=1.0.18)
# libpq, for lantaarn-actor's PostgreSQL sink only (gw_actor_service links it, gatewayd does not).
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
# Cameras are decoded with FFmpeg directly and snapshots encoded with TurboJPEG, so that gatewayd
# links neither OpenCV's videoio nor its imgcodecs (decision 1003); tests still use both.
# libavdevice is only dlopen()ed, for V4L2 cameras; its headers give the library's major version.
pkg_check_modules(LIBAV REQUIRED IMPORTED_TARGET libavformat libavcodec libswscale libavutil)
pkg_check_modules(LIBAVDEVICE REQUIRED libavdevice)
pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)

# Boost.Asio: header-only, but keep the deprecated io_service names out so new code uses io_context.
add_compile_definitions(BOOST_ASIO_NO_DEPRECATED)

# gatewayd's allocator (decision 1023): every message is a few short-lived allocations on three
# threads (pipeline, Paho's send and receive), where glibc's malloc costs measurably more.
# Sanitizers bring their own allocator, and a second one under them would hide what they check.
if(GW_TCMALLOC AND NOT GW_SANITIZE AND NOT GW_FUZZ)
  pkg_check_modules(TCMALLOC IMPORTED_TARGET libtcmalloc_minimal)
  if(NOT TCMALLOC_FOUND)
    message(FATAL_ERROR "GW_TCMALLOC: libtcmalloc_minimal not found; install libgoogle-perftools-dev "
                        "(deploy/install-deps.sh) or configure with -DGW_TCMALLOC=OFF")
  endif()
  set(GW_WITH_TCMALLOC ON)
else()
  set(GW_WITH_TCMALLOC OFF)
endif()
