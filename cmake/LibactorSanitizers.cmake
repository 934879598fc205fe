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
  # history_size=7 (the most): with the default, the stack of an earlier access made by a busy
  # thread (a CAF scheduler enqueue from the timer thread) is often lost ("failed to restore the
  # stack"), and the suppressions below, which match it, cannot apply.
  set(LIBACTOR_TEST_ENVIRONMENT
      "TSAN_OPTIONS=halt_on_error=1 second_deadlock_stack=1 history_size=7 suppressions=${CMAKE_CURRENT_LIST_DIR}/tsan.supp")
  # Debian's libcaf is not instrumented: libactor annotates the happens-before edges that CAF's
  # mailboxes and scheduler provide (see libactor/src/tsan.hpp), enabled by this definition.
  add_compile_definitions(LIBACTOR_TSAN=1)
endif()
