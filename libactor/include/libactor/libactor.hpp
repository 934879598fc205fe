#pragma once
/// @file libactor.hpp
/// Everything for ordinary work with libactor: jobs, spawn, handles, messaging, time, run,
/// queues, synchronization primitives, async generators and offloading.

#include <libactor/async_generator.hpp>
#include <libactor/async_scope.hpp>
#include <libactor/barrier.hpp>
#include <libactor/call_later.hpp>
#include <libactor/capacity_limiter.hpp>
#include <libactor/condition.hpp>
#include <libactor/deadline.hpp>
#include <libactor/errors.hpp>
#include <libactor/event.hpp>
#include <libactor/exit_reason.hpp>
#include <libactor/gather.hpp>
#include <libactor/handle.hpp>
#include <libactor/job.hpp>
#include <libactor/lock.hpp>
#include <libactor/message.hpp>
#include <libactor/open_connection.hpp>
#include <libactor/queue.hpp>
#include <libactor/ready_token.hpp>
#include <libactor/release_guard.hpp>
#include <libactor/run.hpp>
#include <libactor/semaphore.hpp>
#include <libactor/server.hpp>
#include <libactor/shield.hpp>
#include <libactor/spawn.hpp>
#include <libactor/stream.hpp>
#include <libactor/supervisor.hpp>
#include <libactor/task_group.hpp>
#include <libactor/this_job.hpp>
#include <libactor/time.hpp>
#include <libactor/to_thread.hpp>
#include <libactor/wait.hpp>
#include <libactor/watch.hpp>
