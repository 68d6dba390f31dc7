# llama.cpp's CMake build as the tests build it: scripts/test.sh points
# CMAKE_PROJECT_ggml_INCLUDE here (llama-cpp-sys-2 hands every CMAKE_* environment
# variable to CMake, which reads this file right after ggml's project() call). Releases
# build llama.cpp as it is.
#
# 1. Only the CPU variants the tests load (only-these-cpu-variants.cmake).
# 2. Less optimization for code the tests never spend time in. Measured on a 2-core
#    machine (2026-12-07), llama.cpp's build was 1,310 CPU seconds: llama-common 347
#    (argument parsing, downloads, chat parsers: Hearth calls only its JSON-schema-to-
#    grammar conversion, once per request that asks for JSON), cpp-httplib 42 (which only
#    common's downloads use), and ggml-vulkan.cpp 67 (the host side of the Vulkan
#    backend: device setup and pipeline bookkeeping; the GPU's work is in the shaders).
#    At -O0 common and httplib compile in about 40% of the time (arg.cpp 32 s -> 13 s);
#    ggml-vulkan.cpp at -O1 in 43 s. What the tests spend their time in — ggml's CPU
#    kernels and llama's own code (tokenizer, sampler, graphs) — keeps CMake's Release
#    -O3.

include("${CMAKE_CURRENT_LIST_DIR}/only-these-cpu-variants.cmake")

# The targets are defined in directories after this one (common/ and vendor/ come after
# ggml/ in llama.cpp's top-level CMakeLists.txt), so the change waits for the end of the
# top-level directory, when every target exists. A compile option comes after the
# Release flags on the command line, so its -O wins.
function(hearth_optimize_less_what_tests_do_not_run)
  foreach(target llama-common cpp-httplib)
    if(TARGET ${target})
      target_compile_options(${target} PRIVATE -O0)
      message(STATUS "Hearth test build: ${target} at -O0")
    endif()
  endforeach()
  set(vulkan_host "${CMAKE_SOURCE_DIR}/ggml/src/ggml-vulkan/ggml-vulkan.cpp")
  if(TARGET ggml-vulkan AND EXISTS "${vulkan_host}")
    set_source_files_properties("${vulkan_host}" TARGET_DIRECTORY ggml-vulkan
      PROPERTIES COMPILE_OPTIONS -O1)
    message(STATUS "Hearth test build: ggml-vulkan.cpp at -O1")
  endif()
endfunction()
cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL hearth_optimize_less_what_tests_do_not_run)
