#pragma once
// LIBACTOR_ASSERT: checks a runtime invariant in debug builds (or with LIBACTOR_INVARIANT_CHECKS)
// and aborts with a message naming it; compiled out otherwise.

#if !defined(NDEBUG) || defined(LIBACTOR_INVARIANT_CHECKS)
#define LIBACTOR_CHECKS_ENABLED 1
namespace libactor::detail {
[[noreturn]] void invariant_failed(const char* what, const char* file, int line) noexcept;
}
#define LIBACTOR_ASSERT(cond, what)                                                              \
  do {                                                                                           \
    if (!(cond))                                                                                 \
      ::libactor::detail::invariant_failed(what, __FILE__, __LINE__);                            \
  } while (false)
#else
#define LIBACTOR_CHECKS_ENABLED 0
#define LIBACTOR_ASSERT(cond, what) static_cast<void>(0)
#endif
