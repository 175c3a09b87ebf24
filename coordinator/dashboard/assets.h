// The dashboard's files (index.html, app.js, charts.js, style.css in this
// folder), built into the coordinator by a genrule (embed_assets.py), so that
// the page needs nothing but the coordinator's port.
//
// Thread safety: immutable data.
#ifndef HPSWEEP_COORDINATOR_DASHBOARD_ASSETS_H_
#define HPSWEEP_COORDINATOR_DASHBOARD_ASSETS_H_

#include <string_view>

namespace hpsweep::coordinator::dashboard {

struct Asset {
  std::string_view path;          // "/" for index.html, "/dashboard/NAME" for the others
  std::string_view content_type;  // by extension
  std::string_view body;
};

// The asset served at `path`, or null.
const Asset* FindAsset(std::string_view path);

}  // namespace hpsweep::coordinator::dashboard

#endif  // HPSWEEP_COORDINATOR_DASHBOARD_ASSETS_H_
