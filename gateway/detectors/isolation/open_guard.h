#pragma once
// Makes a plugin's refused file access visible. Landlock answers a denied open with EACCES and
// nothing else; the plugin might swallow that and carry on probing. The host executable defines
// (and exports, host_exports.list) open, open64, openat, openat64, creat, creat64, fopen and
// fopen64 and their _FORTIFY_SOURCE variants, so a dlopen'd plugin's calls bind to them ahead of
// libc's: they do the real call, and once the guard is armed, a result of EACCES or EPERM ends
// the child with a forbidden_file fault naming the path. A plugin that makes the system call
// directly bypasses the guard, not the confinement: it just gets EACCES.
namespace gw::detectors::open_guard {

// Looks up libc's fopen and fopen64 (dlsym RTLD_NEXT). Called before the sandbox.
void init();

// From now on a refused open is a fault. Called once the sandbox is in force.
void arm();

}  // namespace gw::detectors::open_guard
