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
# The environment every test (and example run as a test) gets under a sanitizer.
set(LIBACTOR_TEST_ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1" "UBSAN_OPTIONS=print_stacktrace=1")
if(LIBACTOR_SANITIZE STREQUAL "thread")
  set(LIBACTOR_TEST_ENVIRONMENT
      "TSAN_OPTIONS=halt_on_error=1 second_deadlock_stack=1 suppressions=${CMAKE_CURRENT_LIST_DIR}/tsan.supp")
  # Debian's libcaf is not instrumented: libactor annotates the happens-before edges that CAF's
  # mailboxes and scheduler provide (see libactor/src/tsan.hpp), enabled by this definition.
  add_compile_definitions(LIBACTOR_TSAN=1)
endif()
