#pragma once
// ThreadSanitizer cannot see the synchronization inside Debian's (uninstrumented) libcaf: a job
// suspended on one worker thread and resumed on another looks like a race. libactor tells TSan
// about the happens-before edges CAF provides, keyed by the actor's control block: everything before
// an enqueue to an actor happens before its next turn, and every use by a reference holder happens
// before the actor's destruction. Compiled out unless LIBACTOR_TSAN is defined.

#if defined(LIBACTOR_TSAN)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
namespace libactor::detail {
inline void tsan_release(const void* actor) { __tsan_release(const_cast<void*>(actor)); }
inline void tsan_acquire(const void* actor) { __tsan_acquire(const_cast<void*>(actor)); }
} // namespace libactor::detail
#else
namespace libactor::detail {
inline void tsan_release(const void*) {}
inline void tsan_acquire(const void*) {}
} // namespace libactor::detail
#endif
