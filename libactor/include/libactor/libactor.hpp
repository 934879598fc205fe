#pragma once
/// @file libactor.hpp
/// Everything for ordinary work with libactor: jobs, spawn, handles, messaging, time, run.

#include <libactor/async_scope.hpp>
#include <libactor/call_later.hpp>
#include <libactor/deadline.hpp>
#include <libactor/errors.hpp>
#include <libactor/gather.hpp>
#include <libactor/handle.hpp>
#include <libactor/job.hpp>
#include <libactor/message.hpp>
#include <libactor/run.hpp>
#include <libactor/shield.hpp>
#include <libactor/spawn.hpp>
#include <libactor/task_group.hpp>
#include <libactor/this_job.hpp>
#include <libactor/time.hpp>
#include <libactor/wait.hpp>
