// The searchers and program checks a production coordinator is built with:
// grid, random and sobol (searchers.cc) plus bayes and tpe (coordinator/bo),
// and model programs checked against the model zoo.
#ifndef HPSWEEP_COORDINATOR_SEARCHER_FACTORY_H_
#define HPSWEEP_COORDINATOR_SEARCHER_FACTORY_H_

#include "coordinator/sweep_service.h"

namespace hpsweep::coordinator {

SearcherFactory DefaultSearcherFactory();
ProgramValidator DefaultProgramValidator();

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_SEARCHER_FACTORY_H_
