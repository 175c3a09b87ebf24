#include "coordinator/searcher_factory.h"

namespace hpsweep::coordinator {

SearcherFactory DefaultSearcherFactory() { return CreateSearcher; }

ProgramValidator DefaultProgramValidator() { return nullptr; }

}  // namespace hpsweep::coordinator
