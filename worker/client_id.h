// The id a worker gang gives the coordinator, which also says where the gang
// runs: under Slurm it names the job (and array task and step), so `hpsweep
// status` can show which job's gangs hold a sweep's trials.
#ifndef HPSWEEP_WORKER_CLIENT_ID_H_
#define HPSWEEP_WORKER_CLIENT_ID_H_

#include <functional>
#include <string>

namespace hpsweep::worker {

// Looks up an environment variable; nullptr when unset (std::getenv's shape).
using EnvLookup = std::function<const char*(const char*)>;

// "slurm-<job>[_<array task>].<step>-<host>-<pid>-gang<color>" when the
// Slurm variables SLURM_JOB_ID (or SLURM_ARRAY_JOB_ID + SLURM_ARRAY_TASK_ID)
// and SLURM_STEP_ID are set, else "<host>-<pid>-gang<color>". Characters
// outside [A-Za-z0-9._-] in the variables are dropped, so the id stays
// readable and within the coordinator's client id limit.
std::string DefaultClientId(const std::string& host, int pid, int color, const EnvLookup& env);

// The Slurm job a client id names ("12" or "12_3" for an array task), or ""
// when the id is not a Slurm gang's (see DefaultClientId).
std::string SlurmJobOfClientId(const std::string& client_id);

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_CLIENT_ID_H_
