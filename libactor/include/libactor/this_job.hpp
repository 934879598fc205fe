#pragma once
/// @file this_job.hpp
/// The job that is running now (asyncio's `current_task()`), like `std::this_thread`.
/// Each function throws usage_error outside a job.

#include <cstdint>
#include <string>

#include <libactor/handle.hpp>

namespace libactor::this_job {

/// The current job's id.
std::uint64_t id();
/// The current job's name (as given at spawn, or "job-<id>").
std::string name();
/// A reference to the current job, e.g. to put into a message so that others can answer.
job_ref ref();
/// True once the current job has been cancelled (its suspension points raise `cancelled`).
bool cancelled();

} // namespace libactor::this_job
