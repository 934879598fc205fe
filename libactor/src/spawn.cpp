#include <libactor/spawn.hpp>

#include "job_actor.hpp"
#include "runtime.hpp"

namespace libactor::detail {

void launch(record_base& rec, std::coroutine_handle<> body) {
  auto* rt = runtime::current();
  if (rt == nullptr)
    throw usage_error("libactor: spawn called while no runtime is running (start one with libactor::run)");
  // From a job, spawn through its actor so that CAF queues the child on the same worker.
  if (auto* self = current_job())
    self->spawn<job_actor>(rt, &rec, body);
  else
    rt->system().spawn<job_actor>(rt, &rec, body);
}

} // namespace libactor::detail
