// WriteSet (store.h).
#include "coordinator/store/store.h"

#include <iterator>
#include <utility>

namespace hpsweep::coordinator {

namespace {

template <typename T>
void MoveAppend(std::vector<T>* to, std::vector<T>* from) {
  to->insert(to->end(), std::make_move_iterator(from->begin()), std::make_move_iterator(from->end()));
  from->clear();
}

}  // namespace

void WriteSet::Append(WriteSet&& other) {
  MoveAppend(&sweeps, &other.sweeps);
  MoveAppend(&trials, &other.trials);
  MoveAppend(&metrics, &other.metrics);
  MoveAppend(&events, &other.events);
  MoveAppend(&meta, &other.meta);
}

}  // namespace hpsweep::coordinator
