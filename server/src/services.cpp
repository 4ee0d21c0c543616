#include "teledx/server/services.hpp"

#include <cstdio>

#include "dicomweb.hpp"
#include "ecg_upload.hpp"

#include "teledx/core/ids.hpp"
#include "teledx/core/log.hpp"
#include "teledx/worklist/delivery.hpp"
#include "teledx/worklist/flag_decisions.hpp"

namespace teledx::server {

Result<std::unique_ptr<Services>> open_services(const Config& config) {
  if (!crypto_init()) return make_error(ErrorCode::Internal, "The cryptographic library could not start.");
  auto s = std::make_unique<Services>();
  s->config = config;
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec)
    return make_error(ErrorCode::StorageFailure,
                      "Cannot create the data directory '" + config.data_dir.string() + "': " + ec.message());
  auto db = db::open_sqlite(config.data_dir / "index.sqlite");
  if (!db.ok()) return db.error();
  s->db = std::move(*db);
  s->files = std::make_unique<FileStore>(config.data_dir);
  // The instance store files blobs under dicom/<first byte of the hash>/: making the 256 directories once
  // here keeps directory creation (and its syncs) off the path of every acknowledged instance.
  for (int i = 0; i < 256; ++i) {
    char dir[16];
    std::snprintf(dir, sizeof dir, "dicom/%02x", i);
    if (auto r = s->files->ensure_directory(dir); !r.ok()) return r.error();
  }
  for (auto [module, migrations] : {std::pair{"blobs", blob_migrations()},
                                    std::pair{"consortium", Consortium::migrations()},
                                    std::pair{"audit", AuditLog::migrations()},
                                    std::pair{"dicom", dicom::InstanceStore::migrations()},
                                    std::pair{"worklist", worklist::TaskStore::migrations()},
                                    std::pair{"uploads", upload_migrations()},
                                    std::pair{"delivery", worklist::delivery_migrations()},
                                    std::pair{"ecg_flags", worklist::flag_decision_migrations()},
                                    std::pair{"ecg_uploads", ecg_upload_migrations()}}) {
    auto applied = s->db->migrate(module, migrations);
    if (!applied.ok()) return applied.error();
    if (*applied > 0) log::info("store", std::string(module) + ": applied " + std::to_string(*applied) + " migration(s)");
  }
  s->consortium = std::make_unique<Consortium>(*s->db, s->clock);
  s->audit = std::make_unique<AuditLog>(*s->db, s->clock);
  s->instances = std::make_unique<dicom::InstanceStore>(*s->db, *s->files, s->clock);
  s->tasks = std::make_unique<worklist::TaskStore>(*s->db, s->clock, *s->consortium);
  return s;
}

}  // namespace teledx::server
