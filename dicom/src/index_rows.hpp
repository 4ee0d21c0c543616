#pragma once
// Internal: the index rows one stored instance adds or moves (patient, study, series, instance, metadata).
#include <string>

#include "dicom_file.hpp"
#include "teledx/core/database.hpp"
#include "teledx/dicom/instance_store.hpp"

namespace teledx::dicom::detail {

/// Writes the rows of a new instance in the caller's transaction. Conflict when the study belongs to another
/// clinic; InvalidDicom when the series belongs to another study.
Result<void> insert_rows(db::Txn& txn, const InstanceMeta& m, ContentKind kind, const std::string& json);

}  // namespace teledx::dicom::detail
