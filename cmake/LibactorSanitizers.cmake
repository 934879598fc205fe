# Applies LIBACTOR_SANITIZE to every target of the build (library, tests, tools).
if(LIBACTOR_SANITIZE STREQUAL "")
  return()
endif()
if(NOT LIBACTOR_SANITIZE MATCHES "^(address,undefined|address|undefined|thread)$")
  message(FATAL_ERROR "LIBACTOR_SANITIZE must be 'address,undefined' or 'thread', not '${LIBACTOR_SANITIZE}'")
endif()
add_compile_options(-fsanitize=${LIBACTOR_SANITIZE} -fno-omit-frame-pointer -g)
add_link_options(-fsanitize=${LIBACTOR_SANITIZE})
if(LIBACTOR_SANITIZE MATCHES "undefined")
  add_compile_options(-fno-sanitize-recover=undefined)
endif()
if(LIBACTOR_SANITIZE STREQUAL "thread")
  # Debian's libcaf is not instrumented: libactor annotates the happens-before edges that CAF's
  # mailboxes and scheduler provide (see libactor/src/tsan.hpp), enabled by this definition.
  add_compile_definitions(LIBACTOR_TSAN=1)
endif()
