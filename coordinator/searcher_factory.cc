#include "coordinator/searcher_factory.h"

namespace hpsweep::coordinator {

SearcherFactory DefaultSearcherFactory() { return CreateSearcher; }

}  // namespace hpsweep::coordinator
