# Shared settings for kmirror's own targets: warnings as errors, optional sanitizers.
set(KMIRROR_WARNINGS -Wall -Wextra -Werror -Wpedantic -Wshadow -Wnon-virtual-dtor)
set(KMIRROR_SANITIZER_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)

function(kmirror_target_options target)
  target_compile_options(${target} PRIVATE ${KMIRROR_WARNINGS})
  if(KMIRROR_SANITIZE)
    target_compile_options(${target} PRIVATE ${KMIRROR_SANITIZER_FLAGS})
    target_link_options(${target} PRIVATE ${KMIRROR_SANITIZER_FLAGS})
  endif()
endfunction()

# kmirror_library(NAME SOURCES a.cpp b.cpp DEPS lib1 lib2)
# One static library per module folder; DEPS are public (one-way module dependencies).
function(kmirror_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  kmirror_target_options(${name})
  if(KMIRROR_SANITIZE)
    target_link_options(${name} PUBLIC ${KMIRROR_SANITIZER_FLAGS})
  endif()
endfunction()
