#include <libactor/spawn.hpp>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/make_actor.hpp>

#include "job_actor.hpp"
#include "runtime.hpp"

namespace libactor::detail {

void launch(record_base& rec, std::coroutine_handle<> body) {
  auto* rt = runtime::current();
  if (rt == nullptr)
    throw usage_error("libactor: spawn called while no runtime is running (start one with libactor::run)");
  auto& sys = rt->system();
  // From a job, the child is queued on the spawner's worker (locality); otherwise on the scheduler.
  auto* self = current_job();
  caf::execution_unit* host = self != nullptr ? self->context() : nullptr;
  caf::actor_config cfg{host};
  auto ptr = caf::make_actor<job_actor, caf::strong_actor_ptr>(sys.next_actor_id(), sys.node(), &sys, cfg, rt, &rec,
                                                                body);
  static_cast<job_actor*>(caf::actor_cast<caf::abstract_actor*>(ptr))->launch(host, false, false);
}

} // namespace libactor::detail
