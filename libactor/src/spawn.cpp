#include <libactor/spawn.hpp>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/make_actor.hpp>

#include "job_actor.hpp"
#include "runtime.hpp"

namespace libactor::detail {

void launch(record_base& rec, std::coroutine_handle<> body, job_home home) {
  auto* rt = runtime::current();
  if (rt == nullptr)
    throw usage_error("libactor: spawn called while no runtime is running (start one with libactor::run)");
  io_thread* io = nullptr;
  if (home == job_home::io_thread) {
    io = rt->io().current();
    if (io == nullptr)
      io = &rt->io().next();
  }
  launch_on(*rt, rec, body, io);
}

void launch_on(runtime& rt, record_base& rec, std::coroutine_handle<> body, io_thread* io) {
  auto& sys = rt.system();
  // From a job, the child is queued on the spawner's worker (locality); otherwise on the scheduler.
  auto* self = current_job();
  // Jobs spawned inside a supervision tree belong to it: run()'s shutdown leaves them to the tree.
  if (self != nullptr && self->record().supervised)
    rec.supervised = true;
  caf::execution_unit* host = self != nullptr ? self->context() : nullptr;
  caf::actor_config cfg{host};
  auto ptr = caf::make_actor<job_actor, caf::strong_actor_ptr>(sys.next_actor_id(), sys.node(), &sys, cfg, &rt, &rec,
                                                                body);
  auto* job = static_cast<job_actor*>(caf::actor_cast<caf::abstract_actor*>(ptr));
  job->set_home(io);
  job->launch(host, false, false);
}

} // namespace libactor::detail
