// The searchers a production coordinator is built with: grid, random and
// sobol (searchers.cc) plus bayes and tpe (coordinator/bo). Model programs
// are checked by a ProgramValidator wired in main (models/zoo_validator.h).
#ifndef HPSWEEP_COORDINATOR_SEARCHER_FACTORY_H_
#define HPSWEEP_COORDINATOR_SEARCHER_FACTORY_H_

#include "coordinator/lifecycle/sweep_service.h"

namespace hpsweep::coordinator {

SearcherFactory DefaultSearcherFactory();

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_SEARCHER_FACTORY_H_
