#pragma once
#include <memory>

#include "teledx/core/audit.hpp"
#include "teledx/core/clock.hpp"
#include "teledx/core/consortium.hpp"
#include "teledx/core/database.hpp"
#include "teledx/core/file_store.hpp"
#include "teledx/dicom/instance_store.hpp"
#include "teledx/server/config.hpp"
#include "teledx/server/metrics.hpp"
#include "teledx/worklist/task_store.hpp"

namespace teledx::server {

/// Everything a route handler may use, built once at start-up. Handlers get it by reference.
struct Services {
  Config config;
  SystemClock clock;
  std::unique_ptr<db::Database> db;
  std::unique_ptr<FileStore> files;
  std::unique_ptr<Consortium> consortium;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<dicom::InstanceStore> instances;
  std::unique_ptr<worklist::TaskStore> tasks;
  Metrics metrics;
};

/// Opens the data directory: index (migrations applied), file store (interrupted writes recovered),
/// consortium and audit log. StorageFailure when the directory is unusable.
Result<std::unique_ptr<Services>> open_services(const Config& config);

}  // namespace teledx::server
