#pragma once
// Waiting on several spawned children at once: the building blocks of gather, task_group and wait.

#include <coroutine>
#include <span>

#include <libactor/detail/record.hpp>
#include <libactor/detail/runtime_api.hpp>
#include <libactor/errors.hpp>
#include <libactor/handle.hpp>
#include <libactor/job.hpp>

namespace libactor::detail {

/// The record behind a handle (job_ref keeps it protected; a pointer to member formed through a
/// derived class reads it without a cast).
struct record_access : job_ref {
  static record_base& of(const job_ref& ref) {
    if (!ref.valid())
      throw usage_error("libactor: use of an empty job reference");
    return *(ref.*(&record_access::rec_));
  }
  template <class T>
  static record<T>& of(const handle<T>& h) {
    return static_cast<record<T>&>(of(static_cast<const job_ref&>(h)));
  }
};

/// `co_await any_of(children)` resumes once the first of `children` has ended (at once if one has
/// already ended, or if there are none). If the awaiting job is cancelled meanwhile, every child in
/// `children` is cancelled too, and `cancelled` is raised once one of them has ended; with
/// `forward_cancel` false, `cancelled` is raised at once and the children are left alone. The span must
/// stay valid until the await ends (keep the array in the awaiting coroutine's frame).
class any_of {
public:
  explicit any_of(std::span<record_base* const> children, bool forward_cancel = true)
    : self_(require_job("any_of")), children_(children), forward_cancel_(forward_cancel) {}
  bool await_ready() const noexcept {
    for (auto* child : children_)
      if (child->done())
        return true;
    return children_.empty();
  }
  bool await_suspend(std::coroutine_handle<> h) {
    suspended_ = wait_any_child(self_, h, children_, forward_cancel_);
    return suspended_;
  }
  void await_resume() {
    if (suspended_)
      end_wait(self_);
  }

private:
  job_actor& self_;
  std::span<record_base* const> children_;
  bool forward_cancel_;
  bool suspended_ = false;
};

/// Requests cancellation of each of `children` (idempotent).
inline void cancel_all(std::span<record_base* const> children) noexcept {
  for (auto* child : children)
    child->request_cancel();
}

/// Waits until every one of `children` has ended, one at a time (each child is registered once).
/// `forward_cancel` as for any_of: false lets a cancellation (say, a shutdown timer's scope) end
/// the wait at once instead of cancelling the children and waiting on.
inline job<void> wait_all_ended(std::span<record_base* const> children, bool forward_cancel = true) {
  for (auto* child : children) {
    record_base* one[] = {child};
    co_await any_of(one, forward_cancel);
  }
}

} // namespace libactor::detail
