#pragma once
// The DICOM (DIMSE) front of the server: the C-STORE SCP wired to the services.
#include <memory>

#include "teledx/dicom/store_scp.hpp"
#include "teledx/server/services.hpp"

namespace teledx::server {

/// An SCP on config.dicom_port / ae_title / max_associations that resolves calling AE titles through the
/// consortium and writes one audit entry ("store") per study per association. Not yet started.
/// With `tls`: on config.dicom_tls_port with config.tls_cert / tls_key (call only when a certificate is set).
std::unique_ptr<dicom::StoreScp> make_store_scp(Services& services, bool tls = false);

}  // namespace teledx::server
