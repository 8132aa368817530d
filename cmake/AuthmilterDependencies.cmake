# Finds what authmilter::authmilter links. Used by the build and by the installed package
# config, so that find_package(authmilter) in an outside project resolves the same targets.
include(CMakeFindDependencyMacro)
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_dependency(Threads)
find_dependency(OpenSSL 3)
# Debian's versioned Boost 1.81 packages install their CMake configs under this path.
find_dependency(Boost 1.81 CONFIG COMPONENTS json HINTS /usr/lib/x86_64-linux-gnu/cmake/Boost-1.81.0)
if(NOT TARGET authmilter::cares)
  # Debian's libc-ares-dev ships only a pkg-config file.
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(AUTHMILTER_CARES REQUIRED IMPORTED_TARGET GLOBAL libcares)
  add_library(authmilter::cares ALIAS PkgConfig::AUTHMILTER_CARES)
endif()
