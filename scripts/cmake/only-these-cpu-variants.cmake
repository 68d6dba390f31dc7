# Builds only some of ggml's CPU backend variants: those named in the environment
# variable HEARTH_BUILD_CPU_VARIANTS (for example "x64 zen4"). A release of Hearth carries every
# variant (`libggml-cpu-<variant>.so`, chosen at run time by crates/hearth-llm/src/cpu.rs),
# but a test build runs on one machine and needs only the one that machine's CPU runs
# best: compiling the other twelve is about seven minutes of CPU in CI's build.
#
# test-build.cmake includes this file (scripts/test.sh points CMAKE_PROJECT_ggml_INCLUDE
# there; llama-cpp-sys-2 hands every CMAKE_* environment variable to CMake, and CMake
# reads it right after ggml's project() call, before ggml defines its targets). Without
# HEARTH_BUILD_CPU_VARIANTS this file does nothing.
#
# ggml creates each variant with add_library(ggml-cpu-<variant> MODULE ...), makes the
# `ggml` library depend on it (add_dependencies) and installs it (install(TARGETS ...)).
# The two commands are wrapped below: a variant not named is left out of `all`, out of
# ggml's dependencies and out of the install, so it is neither compiled nor shipped.
# Every other call passes through unchanged.

if(NOT DEFINED ENV{HEARTH_BUILD_CPU_VARIANTS} OR "$ENV{HEARTH_BUILD_CPU_VARIANTS}" STREQUAL "")
  return()
endif()
separate_arguments(HEARTH_KEPT_CPU_VARIANTS UNIX_COMMAND "$ENV{HEARTH_BUILD_CPU_VARIANTS}")
message(STATUS "Hearth: building only the CPU variants ${HEARTH_KEPT_CPU_VARIANTS}")

# Sets `out` to TRUE when `target` is a CPU variant (or its feature-probe object library)
# that was not asked for.
function(hearth_cpu_variant_left_out target out)
  set(${out} FALSE PARENT_SCOPE)
  if(target MATCHES "^ggml-cpu-(.+)$")
    string(REGEX REPLACE "-feats$" "" variant "${CMAKE_MATCH_1}")
    if(NOT variant IN_LIST HEARTH_KEPT_CPU_VARIANTS)
      set(${out} TRUE PARENT_SCOPE)
    endif()
  endif()
endfunction()

function(add_dependencies target)
  set(kept "")
  foreach(dependency IN LISTS ARGN)
    hearth_cpu_variant_left_out("${dependency}" left_out)
    if(left_out)
      set_target_properties("${dependency}" PROPERTIES EXCLUDE_FROM_ALL TRUE)
      if(TARGET "${dependency}-feats")
        set_target_properties("${dependency}-feats" PROPERTIES EXCLUDE_FROM_ALL TRUE)
      endif()
    else()
      list(APPEND kept "${dependency}")
    endif()
  endforeach()
  if(kept)
    _add_dependencies("${target}" ${kept})
  endif()
endfunction()

function(install)
  if(ARGC GREATER 1 AND ARGV0 STREQUAL "TARGETS")
    hearth_cpu_variant_left_out("${ARGV1}" left_out)
    if(left_out)
      return()
    endif()
  endif()
  _install(${ARGV})
endfunction()
